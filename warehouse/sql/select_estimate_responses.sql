-- Inputs of the national estimate: one row per responding municipality (as it existed in
-- the quarter) × quarter × cost category with an amount, for quarters in the window.
select
    c.quarter,
    c.municipality_code,
    c.cost_category,
    c.amount_eur
from core.fct_survey_cost as c
inner join core.dim_quarter as q on q.quarter = c.quarter
where c.amount_eur is not null
    and q.quarter_index between $1 and $2
order by c.quarter, c.cost_category, c.municipality_code
