-- marts.budget_trend_quarterly
-- One row per municipality (boundary set) × quarter × budget category × kind, for the
-- quarters with index $window_start..$window_end (inputs from four quarters earlier on).
-- Money columns DOUBLE rounded to the cent (the marts' one money type); quarter_start its first day.
-- Change columns are on lasten (expenditure); NULL when the compared quarter has no figure.
with

budget as (
    select *
    from core.int_budget_boundary
    where quarter_index between $window_start - 4 and $window_end
),

history as (
    select
        b.*,
        prev.lasten_eur as prev_lasten_eur,
        year_ago.lasten_eur as year_ago_lasten_eur
    from budget as b
    left join budget as prev
        on prev.municipality_code = b.municipality_code
        and prev.budget_category = b.budget_category
        and prev.kind = b.kind
        and prev.quarter_index = b.quarter_index - 1
    left join budget as year_ago
        on year_ago.municipality_code = b.municipality_code
        and year_ago.budget_category = b.budget_category
        and year_ago.kind = b.kind
        and year_ago.quarter_index = b.quarter_index - 4
    where b.quarter_index between $window_start and $window_end
),

final as (
    select
        municipality_code,
        quarter,
        budget_category,
        kind,
        cast(round(lasten_eur, 2) as double) as lasten_eur,
        cast(round(baten_eur, 2) as double) as baten_eur,
        cast(round((lasten_eur - prev_lasten_eur) / nullif(prev_lasten_eur, 0) * 100, 4) as double)
            as qoq_change_pct,
        cast(round((lasten_eur - year_ago_lasten_eur) / nullif(year_ago_lasten_eur, 0) * 100, 4) as double)
            as yoy_change_pct,
        cast(q.start_date as date) as quarter_start
    from history
    inner join core.dim_quarter as q using (quarter)
)

select * from final
