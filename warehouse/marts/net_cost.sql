-- marts.net_cost
-- @grain municipality_code, quarter
-- @description Extra digital cost minus office savings per municipality (boundary set) and quarter.
--     One row per municipality × quarter with at least one digital category reported.
-- @column municipality_code varchar: CBS municipality code on the boundary set
-- @column quarter varchar: Quarter, written 2021Q1
-- @column digital_extra_eur double: Sum of the hardware, software licences, ICT support, security
--     and other extra cost reported, euros
-- @column office_savings_eur double: Savings on office space reported, euros; NULL when not
--     reported
-- @column net_cost_eur double: digital_extra_eur minus office_savings_eur, euros; NULL when savings
--     were not reported (not counted as zero)
-- @column quarter_start date: First day of the quarter (a DATE, for a BI time axis)
--
-- One row per municipality (boundary set) × quarter whose reporting units reported at least
-- one digital category, for the quarters with index $window_start..$window_end.
-- Digital extra minus office savings. Savings not reported are not zero: the net is NULL
-- unless every reporting unit behind the row reported its savings.
-- Sums are taken in DECIMAL and rounded to the cent, then stored as DOUBLE (the marts' one money
-- type); quarter_start is the quarter's first day.
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
        round(sum(digital_extra_eur), 2) as digital_extra_eur,
        round(sum(office_savings_eur), 2) as office_savings_eur,
        count(office_savings_eur) = count(*) as has_all_savings
    from on_boundary
    group by all
),

final as (
    select
        municipality_code,
        quarter,
        cast(digital_extra_eur as double) as digital_extra_eur,
        cast(office_savings_eur as double) as office_savings_eur,
        cast(case when has_all_savings then digital_extra_eur - office_savings_eur end as double)
            as net_cost_eur,
        cast(q.start_date as date) as quarter_start
    from summed
    inner join core.dim_quarter as q using (quarter)
)

select * from final
