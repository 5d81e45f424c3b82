-- core.int_survey_totals_unit: one row per reporting municipality (as reported, before the
-- boundary move) × quarter that reported at least one cost category: its digital extra
-- (the digital categories it reported, summed) and its office savings (NULL if not reported).
create or replace view core.int_survey_totals_unit as
select
    c.quarter,
    q.quarter_index,
    c.municipality_code,
    sum(c.amount_eur) filter (where k.is_digital) as digital_extra_eur,
    sum(c.amount_eur) filter (where not k.is_digital) as office_savings_eur
from core.fct_survey_cost as c
inner join core.dim_quarter as q on q.quarter = c.quarter
inner join core.dim_cost_category as k on k.cost_category = c.cost_category
where c.amount_eur is not null
group by all;
