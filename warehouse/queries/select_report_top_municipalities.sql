-- Report: the municipalities with the highest extra digital cost per inhabitant in the last
-- quarter with data. One row per municipality, highest first; $1 = how many.
with

last_quarter as (
    select max(quarter) as quarter from marts.cost_trend_quarterly
),

per_municipality as (
    select
        t.municipality_code,
        t.municipality_name,
        t.size_class,
        t.quarter,
        cast(sum(t.amount_eur) as double) as digital_extra_eur,
        sum(t.amount_per_1000_inhabitants) / 1000 as eur_per_inhabitant
    from marts.cost_trend_quarterly as t
    inner join core.dim_cost_category as c on c.cost_category = t.cost_category
    inner join last_quarter as l on l.quarter = t.quarter
    where c.is_digital
    group by all
)

select * from per_municipality
where eur_per_inhabitant is not null
order by eur_per_inhabitant desc, municipality_code
limit $1
