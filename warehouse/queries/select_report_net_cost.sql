-- Report: net cost summed over the municipalities that reported both extra digital cost and
-- office savings (net_cost_eur is NULL without savings). One row per quarter.
select
    quarter,
    count(net_cost_eur) as municipalities,
    count(*) - count(net_cost_eur) as without_savings,
    cast(sum(digital_extra_eur) filter (where net_cost_eur is not null) as double) as digital_extra_eur,
    cast(sum(office_savings_eur) filter (where net_cost_eur is not null) as double) as office_savings_eur,
    cast(sum(net_cost_eur) as double) as net_cost_eur,
    cast(median(net_cost_eur) as double) as median_net_cost_eur
from marts.net_cost
group by quarter
order by quarter
