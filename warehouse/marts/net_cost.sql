-- marts.net_cost
-- One row per municipality (current boundaries) × quarter: digitalisation extra minus office savings.
-- A category the municipality did not report counts as absent: both sides need a figure.
with

amounts as (
    select * from core.int_survey_cost_boundary
),

pivoted as (
    select
        municipality_code,
        quarter,
        sum(amount_eur) filter (where cost_category <> 'office_savings') as digital_extra_eur,
        sum(amount_eur) filter (where cost_category = 'office_savings') as office_savings_eur
    from amounts
    group by all
),

final as (
    select
        municipality_code,
        quarter,
        cast(digital_extra_eur as decimal(18, 2)) as digital_extra_eur,
        cast(office_savings_eur as decimal(18, 2)) as office_savings_eur,
        cast(digital_extra_eur - coalesce(office_savings_eur, 0) as decimal(18, 2)) as net_cost_eur
    from pivoted
    where digital_extra_eur is not null
)

select * from final
