-- core.int_survey_amount_boundary: the amounts of core.int_survey_cost_boundary alone, computed
-- the same way (the incremental refresh test holds them equal). The cumulative sums read it
-- over the whole history, so it leaves out the population lookup.
create or replace view core.int_survey_amount_boundary as
select
    c.quarter,
    q.quarter_index,
    b.boundary_code as municipality_code,
    c.cost_category,
    cast(round(sum(c.amount_eur * cast(b.share as decimal(9, 4))), 2) as decimal(18, 2)) as amount_eur
from core.fct_survey_cost as c
inner join core.dim_quarter as q on q.quarter = c.quarter
inner join core.map_boundary as b on b.municipality_code = c.municipality_code
where c.amount_eur is not null
group by all;
