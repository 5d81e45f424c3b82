-- marts.cost_trend_quarterly
-- One row per municipality (current boundaries) × quarter × cost category with a reported amount.
-- Change columns compare with the same municipality and category one quarter (QoQ) or four
-- quarters (YoY) earlier; they are NULL when that quarter has no amount, never 0.
with

amounts as (
    select * from core.int_survey_cost_boundary
),

boundary_population as (
    select * from core.dim_boundary_population
),

history as (
    select
        a.*,
        prev.amount_eur as prev_amount_eur,
        year_ago.amount_eur as year_ago_amount_eur,
        sum(a.amount_eur) over rolling as rolling_sum_eur,
        count(*) over rolling as rolling_quarters,
        sum(a.amount_eur) over (
            partition by a.municipality_code, a.cost_category
            order by a.quarter_index
            rows between unbounded preceding and current row
        ) as cumulative_eur
    from amounts as a
    left join amounts as prev
        on prev.municipality_code = a.municipality_code
        and prev.cost_category = a.cost_category
        and prev.quarter_index = a.quarter_index - 1
    left join amounts as year_ago
        on year_ago.municipality_code = a.municipality_code
        and year_ago.cost_category = a.cost_category
        and year_ago.quarter_index = a.quarter_index - 4
    window rolling as (
        partition by a.municipality_code, a.cost_category
        order by a.quarter_index
        range between 3 preceding and current row
    )
),

sized as (
    select
        h.*,
        bp.population as boundary_population
    from history as h
    asof left join boundary_population as bp
        on bp.municipality_code = h.municipality_code and h.year >= bp.year
),

final as (
    select
        s.municipality_code,
        m.municipality_name,
        case
            when s.boundary_population < 20000 then '<20k'
            when s.boundary_population < 50000 then '20k-50k'
            when s.boundary_population < 100000 then '50k-100k'
            when s.boundary_population is not null then '>=100k'
        end as size_class,
        s.quarter,
        s.cost_category,
        cast(s.amount_eur as decimal(18, 2)) as amount_eur,
        cast(round(s.amount_eur / nullif(s.population, 0) * 1000, 4) as double)
            as amount_per_1000_inhabitants,
        cast(s.amount_eur - s.prev_amount_eur as decimal(18, 2)) as qoq_change_eur,
        cast(round((s.amount_eur - s.prev_amount_eur) / nullif(s.prev_amount_eur, 0) * 100, 4) as double)
            as qoq_change_pct,
        cast(round((s.amount_eur - s.year_ago_amount_eur) / nullif(s.year_ago_amount_eur, 0) * 100, 4) as double)
            as yoy_change_pct,
        -- The rolling sum needs all four quarters; with a gap it is NULL rather than too low.
        cast(case when s.rolling_quarters = 4 then s.rolling_sum_eur end as decimal(18, 2)) as rolling_4q_eur,
        cast(s.cumulative_eur as decimal(18, 2)) as cumulative_eur
    from sized as s
    left join core.dim_municipality as m on m.municipality_code = s.municipality_code
)

select * from final
