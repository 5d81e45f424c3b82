-- marts.survey_vs_budget
-- One row per municipality (current boundaries) × quarter with both a survey answer and
-- an ICT realisatie figure: the extra digital cost as a share of the ICT budget.
with

digital as (
    select municipality_code, quarter, sum(amount_eur) as digital_extra_eur
    from core.int_survey_cost_boundary
    where cost_category <> 'office_savings'
    group by all
),

ict as (
    select municipality_code, quarter, sum(lasten_eur) as ict_budget_eur
    from core.int_budget_boundary
    where budget_category = 'ict' and kind = 'realisatie'
    group by all
),

final as (
    select
        d.municipality_code,
        d.quarter,
        cast(d.digital_extra_eur as decimal(18, 2)) as digital_extra_eur,
        cast(i.ict_budget_eur as decimal(18, 2)) as ict_budget_eur,
        cast(round(d.digital_extra_eur / nullif(i.ict_budget_eur, 0) * 100, 4) as double) as share_pct
    from digital as d
    inner join ict as i using (municipality_code, quarter)
)

select * from final
