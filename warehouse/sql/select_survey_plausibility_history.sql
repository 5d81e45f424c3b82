-- What the plausibility gate compares a survey quarter with: the digital extra spend per
-- inhabitant of each municipality in the (up to four) quarters loaded before it.
-- One row per municipality × earlier quarter. Parameter: the quarter being loaded.
with

earlier as (
    select quarter
    from (select distinct quarter from core.fct_survey_cost where quarter < $quarter)
    order by quarter desc
    limit 4
),

spend as (
    select
        c.municipality_code,
        c.quarter,
        sum(coalesce(c.amount_eur, 0)) as digital_extra_eur
    from core.fct_survey_cost as c
    inner join core.dim_cost_category as k on k.cost_category = c.cost_category
    where c.quarter in (select quarter from earlier) and k.is_digital
    group by c.municipality_code, c.quarter
),

final as (
    select
        s.municipality_code,
        s.quarter,
        cast(s.digital_extra_eur as double) / p.population as per_inhabitant
    from spend as s
    inner join core.dim_municipality_population as p
        on p.municipality_code = s.municipality_code
        and p.year = cast(left(s.quarter, 4) as integer)
    where p.population > 0
)

select * from final order by municipality_code, quarter
