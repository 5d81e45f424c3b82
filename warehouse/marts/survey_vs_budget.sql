-- marts.survey_vs_budget
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
