-- core.int_survey_cost_boundary: one row per boundary municipality × quarter × cost category
-- with a reported amount. A dissolved municipality's figures go to its successor(s) by
-- share, rounded to cents after summing; `population` is the population of the reporting
-- units that contributed, for the quarter's year (the latest year on file when the
-- quarter's year has none yet).
create or replace view core.int_survey_cost_boundary as
with

costs as (
    select * from core.fct_survey_cost where amount_eur is not null
),

reported as (
    select
        c.quarter,
        q.quarter_index,
        q.year,
        b.boundary_code as municipality_code,
        c.cost_category,
        c.amount_eur * cast(b.share as decimal(9, 4)) as amount_eur,
        cast(p.population as decimal(18, 0)) * cast(b.share as decimal(9, 4)) as population
    from costs as c
    inner join core.dim_quarter as q on q.quarter = c.quarter
    inner join core.map_boundary as b on b.municipality_code = c.municipality_code
    asof left join core.dim_municipality_population as p
        on p.municipality_code = c.municipality_code and q.year >= p.year
)

select
    quarter,
    quarter_index,
    year,
    municipality_code,
    cost_category,
    cast(round(sum(amount_eur), 2) as decimal(18, 2)) as amount_eur,
    cast(round(sum(population), 0) as bigint) as population
from reported
group by all;
