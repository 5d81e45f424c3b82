-- marts.survey_vs_budget
-- @grain municipality_code, quarter
-- @description Extra digital cost from the survey as a share of the ICT realisatie budget from Iv3,
--     per municipality (boundary set) and quarter. Survey and budget are matched per reporting
--     municipality before merged ones are summed into their successor. One row per municipality ×
--     quarter with both figures.
-- @column municipality_code varchar: CBS municipality code on the boundary set
-- @column quarter varchar: Quarter, written 2021Q1
-- @column digital_extra_eur double: Extra digital cost reported in the survey, euros
-- @column ict_budget_eur double: Iv3 realisatie lasten mapped to budget category ict, of the same
--     reporting municipalities, euros
-- @column share_pct double: digital_extra_eur as a percentage of ict_budget_eur; NULL when the ICT
--     budget is zero
-- @column quarter_start date: First day of the quarter (a DATE, for a BI time axis)
--
-- One row per municipality (boundary set) × quarter with both a survey answer and an ICT
-- realisatie figure, for the quarters with index $window_start..$window_end: the extra
-- digital cost as a share of the ICT budget. Survey and budget are matched per reporting
-- unit before the move onto the boundary set, so after a merger a successor's share
-- compares the same predecessors on both sides.
-- Sums in DECIMAL rounded to the cent, stored as DOUBLE (the marts' one money type);
-- quarter_start is the quarter's first day.
with

digital as (
    select quarter, municipality_code, digital_extra_eur
    from core.int_survey_totals_unit
    where quarter_index between $window_start and $window_end
        and digital_extra_eur is not null
),

ict as (
    select quarter, municipality_code, sum(lasten_eur) as ict_budget_eur
    from core.int_budget_lines_unit
    where quarter_index between $window_start and $window_end
        and budget_category = 'ict' and kind = 'realisatie'
    group by all
),

matched as (
    select
        d.quarter,
        b.boundary_code as municipality_code,
        d.digital_extra_eur * cast(b.share as decimal(9, 4)) as digital_extra_eur,
        i.ict_budget_eur * cast(b.share as decimal(9, 4)) as ict_budget_eur
    from digital as d
    inner join ict as i using (municipality_code, quarter)
    inner join core.map_boundary as b on b.municipality_code = d.municipality_code
),

summed as (
    select
        municipality_code,
        quarter,
        round(sum(digital_extra_eur), 2) as digital_extra_eur,
        round(sum(ict_budget_eur), 2) as ict_budget_eur
    from matched
    group by all
),

final as (
    select
        municipality_code,
        quarter,
        cast(digital_extra_eur as double) as digital_extra_eur,
        cast(ict_budget_eur as double) as ict_budget_eur,
        cast(round(digital_extra_eur / nullif(ict_budget_eur, 0) * 100, 4) as double) as share_pct,
        cast(q.start_date as date) as quarter_start
    from summed
    inner join core.dim_quarter as q using (quarter)
)

select * from final
