-- marts.net_cost
-- One row per municipality (boundary set) × quarter whose reporting units reported at least
-- one digital category, for the quarters with index $window_start..$window_end.
-- Digital extra minus office savings. Savings not reported are not zero: the net is NULL
-- unless every reporting unit behind the row reported its savings.
with

units as (
    select *
    from core.int_survey_totals_unit
    where quarter_index between $window_start and $window_end
        and digital_extra_eur is not null
),

on_boundary as (
    select
        u.quarter,
        b.boundary_code as municipality_code,
        u.digital_extra_eur * cast(b.share as decimal(9, 4)) as digital_extra_eur,
        u.office_savings_eur * cast(b.share as decimal(9, 4)) as office_savings_eur
    from units as u
    inner join core.map_boundary as b on b.municipality_code = u.municipality_code
),

summed as (
    select
        municipality_code,
        quarter,
        cast(round(sum(digital_extra_eur), 2) as decimal(18, 2)) as digital_extra_eur,
        cast(round(sum(office_savings_eur), 2) as decimal(18, 2)) as office_savings_eur,
        count(office_savings_eur) = count(*) as has_all_savings
    from on_boundary
    group by all
),

final as (
    select
        municipality_code,
        quarter,
        digital_extra_eur,
        office_savings_eur,
        cast(case when has_all_savings then digital_extra_eur - office_savings_eur end as decimal(18, 2))
            as net_cost_eur
    from summed
)

select * from final
