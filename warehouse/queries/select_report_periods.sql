-- Report: national estimates per quarter, half year and year for the digital categories together
-- and office savings. One row per period type × period × cost category.
select
    period_type,
    period,
    cost_category,
    quarters_covered,
    estimate_eur,
    estimate_low_eur,
    estimate_high_eur
from marts.national_estimate_period
where cost_category in ('digital_total', 'office_savings')
order by period_type, period, cost_category
