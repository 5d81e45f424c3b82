-- Report: the national estimate. One row per quarter × cost category, categories in seed order.
select
    e.quarter,
    e.cost_category,
    c.is_digital,
    e.respondents,
    e.population_coverage_pct,
    e.estimate_eur,
    e.estimate_low_eur,
    e.estimate_high_eur
from marts.national_estimate as e
left join core.dim_cost_category as c on c.cost_category = e.cost_category
order by e.quarter, e.cost_category
