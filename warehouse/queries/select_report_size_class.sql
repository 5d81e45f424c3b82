-- Report: extra digital cost per inhabitant by size class. One row per quarter × size class:
-- the median over the municipalities of the class that reported (each municipality's
-- digital categories summed; per-1,000 amounts share the municipality's population).
with

per_municipality as (
    select
        t.quarter,
        t.size_class,
        t.municipality_code,
        sum(t.amount_per_1000_inhabitants) / 1000 as eur_per_inhabitant
    from marts.cost_trend_quarterly as t
    inner join core.dim_cost_category as c on c.cost_category = t.cost_category
    where c.is_digital and t.size_class is not null
    group by all
)

select
    quarter,
    size_class,
    count(*) as municipalities,
    cast(median(eur_per_inhabitant) as double) as median_eur_per_inhabitant
from per_municipality
group by all
order by quarter, size_class
