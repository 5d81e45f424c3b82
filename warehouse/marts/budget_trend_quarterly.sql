-- marts.budget_trend_quarterly
-- @grain municipality_code, quarter, budget_category, kind
-- @description Iv3 budget figures per municipality (boundary set), quarter, budget category and
--     kind; merged municipalities summed into their successor. One row per municipality × quarter ×
--     budget category × kind.
-- @column municipality_code varchar: CBS municipality code on the boundary set
-- @column quarter varchar: Quarter, written 2021Q1
-- @column budget_category varchar: Budget category from the (taakveld, categorie) mapping seed:
--     ict, housing, other_overhead, other, unmapped
-- @column kind varchar: begroting (budget) or realisatie (actuals)
-- @column lasten_eur double: Expenditure (lasten), euros
-- @column baten_eur double: Income (baten), euros
-- @column qoq_change_pct double: Change of lasten against the previous quarter in percent; NULL
--     when that quarter has no figure or it is zero
-- @column yoy_change_pct double: Change of lasten against the same quarter a year earlier in
--     percent; NULL when that quarter has no figure or it is zero
-- @column quarter_start date: First day of the quarter (a DATE, for a BI time axis)
--
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
