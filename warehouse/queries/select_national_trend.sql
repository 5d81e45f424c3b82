-- The national trend `costtrends demo` prints: one row per quarter, half year and year with
-- the digital extra total and its 90% range, and office savings, in reading order
-- (2021Q1, 2021Q2, 2021H1, 2021Q3, 2021Q4, 2021H2, 2021).
with

periods as (
    select
        period_type,
        period,
        max(quarters_covered) filter (where cost_category = 'digital_total') as quarters_covered,
        max(estimate_eur) filter (where cost_category = 'digital_total') as digital_eur,
        max(estimate_low_eur) filter (where cost_category = 'digital_total') as digital_low_eur,
        max(estimate_high_eur) filter (where cost_category = 'digital_total') as digital_high_eur,
        max(estimate_eur) filter (where cost_category = 'office_savings') as office_savings_eur
    from marts.national_estimate_period
    group by all
),

respondents as (
    select quarter as period, max(respondents) as respondents
    from marts.national_estimate
    where cost_category <> 'office_savings'
    group by all
)

select
    p.period,
    p.period_type,
    p.quarters_covered,
    r.respondents,
    p.digital_eur,
    p.digital_low_eur,
    p.digital_high_eur,
    p.office_savings_eur
from periods as p
left join respondents as r using (period)
where p.digital_eur is not null
order by
    left(p.period, 4),
    case p.period_type
        when 'quarter' then (cast(right(p.period, 1) as integer) + 1) // 2
        when 'half_year' then cast(right(p.period, 1) as integer)
        else 3
    end,
    case p.period_type when 'quarter' then 0 when 'half_year' then 1 else 2 end,
    p.period
