-- marts.cost_trend_quarterly
-- @grain municipality_code, quarter, cost_category
-- @description Survey extra cost per municipality, quarter and cost category, on one municipal
--     boundary set (the register's current municipalities unless configured otherwise). One row per
--     municipality × quarter × cost category with a reported amount; figures of merged
--     municipalities are summed into their successor (a split one apportioned by share). A
--     municipality that did not answer has no row, not a zero.
-- @column municipality_code varchar: CBS municipality code (GM####) on the boundary set
-- @column municipality_name varchar: Official CBS municipality name
-- @column size_class varchar: Size class by inhabitants of the municipality on the boundary set on
--     1 January of the quarter's year: <20k, 20k-50k, 50k-100k, >=100k
-- @column quarter varchar: Quarter, written 2021Q1
-- @column cost_category varchar: hardware, software_licences, ict_support, security, other (extra
--     digital cost) or office_savings (a saving)
-- @column amount_eur double: Amount reported for the quarter, in euros
-- @column amount_per_1000_inhabitants double: Amount per 1,000 inhabitants of the municipalities
--     that reported it (population on 1 January of the quarter's year, the latest year on file when
--     that year has none yet)
-- @column qoq_change_eur double: Change against the previous quarter in euros; NULL when that
--     quarter has no amount
-- @column qoq_change_pct double: Change against the previous quarter in percent; NULL when that
--     quarter has no amount or it is zero
-- @column yoy_change_pct double: Change against the same quarter a year earlier in percent; NULL
--     when that quarter has no amount or it is zero
-- @column rolling_4q_eur double: Sum over this and the three previous quarters, euros; NULL unless
--     all four have an amount
-- @column cumulative_eur double: Sum of all reported quarters up to and including this one, euros
-- @column quarter_start date: First day of the quarter (a DATE, for a BI time axis)
--
-- One row per municipality (boundary set) × quarter × cost category with a reported amount,
-- for the quarters with index $window_start..$window_end.
-- Money columns are DOUBLE rounded to the cent, the one money type of every mart (docs/bi.md);
-- quarter_start is the quarter's first day, for a BI time axis.
-- Change columns compare with the same municipality and category one quarter (QoQ) or four
-- quarters (YoY) earlier; they are NULL when that quarter has no amount, never 0.
-- Inputs are read from four quarters before the window on (enough for QoQ, YoY and the
-- rolling four quarters); the cumulative adds everything before that as one sum per
-- municipality × category, so a refresh reads one grouped pass over older history and
-- no windowed or joined work grows with it.
with

amounts as (
    select *
    from core.int_survey_cost_boundary
    where quarter_index between $window_start - 4 and $window_end
),

earlier as (
    select
        municipality_code,
        cost_category,
        sum(amount_eur) as amount_before_eur
    from core.int_survey_amount_boundary
    where quarter_index < $window_start - 4
    group by all
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
        coalesce(e.amount_before_eur, 0) + sum(a.amount_eur) over (
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
    left join earlier as e
        on e.municipality_code = a.municipality_code
        and e.cost_category = a.cost_category
    window rolling as (
        partition by a.municipality_code, a.cost_category
        order by a.quarter_index
        range between 3 preceding and current row
    )
),

in_window as (
    select * from history where quarter_index between $window_start and $window_end
),

sized as (
    select
        h.*,
        bp.population as boundary_population
    from in_window as h
    asof left join boundary_population as bp
        on bp.municipality_code = h.municipality_code and h.year >= bp.year
),

final as (
    select
        s.municipality_code,
        m.municipality_name,
        c.size_class,
        s.quarter,
        s.cost_category,
        cast(round(s.amount_eur, 2) as double) as amount_eur,
        cast(round(s.amount_eur / nullif(s.population, 0) * 1000, 4) as double)
            as amount_per_1000_inhabitants,
        cast(round(s.amount_eur - s.prev_amount_eur, 2) as double) as qoq_change_eur,
        cast(round((s.amount_eur - s.prev_amount_eur) / nullif(s.prev_amount_eur, 0) * 100, 4) as double)
            as qoq_change_pct,
        cast(round((s.amount_eur - s.year_ago_amount_eur) / nullif(s.year_ago_amount_eur, 0) * 100, 4) as double)
            as yoy_change_pct,
        -- The rolling sum needs all four quarters; with a gap it is NULL rather than too low.
        cast(round(case when s.rolling_quarters = 4 then s.rolling_sum_eur end, 2) as double) as rolling_4q_eur,
        cast(round(s.cumulative_eur, 2) as double) as cumulative_eur,
        cast(q.start_date as date) as quarter_start
    from sized as s
    -- The class whose least population is the highest one not above it; none when unknown.
    asof left join core.dim_size_class as c on s.boundary_population >= c.min_population
    left join core.dim_municipality as m on m.municipality_code = s.municipality_code
    inner join core.dim_quarter as q on q.quarter = s.quarter
)

select * from final
