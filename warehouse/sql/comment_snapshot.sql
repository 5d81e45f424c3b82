-- Descriptions BI tools show next to tables and columns. Run inside the snapshot.
comment on table marts.cost_trend_quarterly is 'Survey extra cost per municipality (current boundaries), quarter and cost category. One row per municipality × quarter × cost category with a reported amount; merged municipalities summed into their successor.';
comment on column marts.cost_trend_quarterly.municipality_code is 'CBS municipality code (GM####) on the current boundary set';
comment on column marts.cost_trend_quarterly.municipality_name is 'Official CBS municipality name';
comment on column marts.cost_trend_quarterly.size_class is 'Size class by inhabitants on 1 January of the quarter''s year: <20k, 20k-50k, 50k-100k, >=100k';
comment on column marts.cost_trend_quarterly.quarter is 'Quarter, written 2021Q1';
comment on column marts.cost_trend_quarterly.cost_category is 'hardware, software_licences, ict_support, security, other (extra digital cost) or office_savings (a saving)';
comment on column marts.cost_trend_quarterly.amount_eur is 'Amount reported for the quarter, in euros';
comment on column marts.cost_trend_quarterly.amount_per_1000_inhabitants is 'Amount per 1,000 inhabitants of the reporting municipalities (population on 1 January of the quarter''s year)';
comment on column marts.cost_trend_quarterly.qoq_change_eur is 'Change against the previous quarter in euros; NULL when that quarter has no amount';
comment on column marts.cost_trend_quarterly.qoq_change_pct is 'Change against the previous quarter in percent; NULL when that quarter has no amount or it is zero';
comment on column marts.cost_trend_quarterly.yoy_change_pct is 'Change against the same quarter a year earlier in percent; NULL when that quarter has no amount or it is zero';
comment on column marts.cost_trend_quarterly.rolling_4q_eur is 'Sum over this and the three previous quarters; NULL unless all four have an amount';
comment on column marts.cost_trend_quarterly.cumulative_eur is 'Sum of all reported quarters up to and including this one';

comment on table marts.national_estimate is 'National estimate per quarter and cost category: stratified ratio estimator by size class with a 90% interval (see docs/estimate.md). One row per quarter × cost category.';
comment on column marts.national_estimate.quarter is 'Quarter, written 2021Q1';
comment on column marts.national_estimate.cost_category is 'Cost category';
comment on column marts.national_estimate.respondents is 'Municipalities that reported an amount for the category';
comment on column marts.national_estimate.population_coverage_pct is 'Share of the national population living in responding municipalities, percent';
comment on column marts.national_estimate.estimate_eur is 'Estimated national total for the quarter, euros';
comment on column marts.national_estimate.estimate_low_eur is 'Lower bound of the 90% interval, euros (not below zero)';
comment on column marts.national_estimate.estimate_high_eur is 'Upper bound of the 90% interval, euros';

comment on table marts.net_cost is 'Extra digital cost minus office savings per municipality (current boundaries) and quarter. One row per municipality × quarter.';
comment on column marts.net_cost.municipality_code is 'CBS municipality code on the current boundary set';
comment on column marts.net_cost.quarter is 'Quarter, written 2021Q1';
comment on column marts.net_cost.digital_extra_eur is 'Sum of hardware, software licences, ICT support, security and other extra cost, euros';
comment on column marts.net_cost.office_savings_eur is 'Savings on office space reported, euros; NULL when not reported';
comment on column marts.net_cost.net_cost_eur is 'digital_extra_eur minus office_savings_eur (savings not reported count as none)';

comment on table marts.budget_trend_quarterly is 'Iv3 budget figures per municipality (current boundaries), quarter, budget category and kind. One row per municipality × quarter × budget category × kind.';
comment on column marts.budget_trend_quarterly.municipality_code is 'CBS municipality code on the current boundary set';
comment on column marts.budget_trend_quarterly.quarter is 'Quarter, written 2021Q1';
comment on column marts.budget_trend_quarterly.budget_category is 'Budget category from the (taakveld, categorie) mapping seed: ict, housing, other_overhead, other, unmapped';
comment on column marts.budget_trend_quarterly.kind is 'begroting (budget) or realisatie (actuals)';
comment on column marts.budget_trend_quarterly.lasten_eur is 'Expenditure (lasten), euros';
comment on column marts.budget_trend_quarterly.baten_eur is 'Income (baten), euros';
comment on column marts.budget_trend_quarterly.qoq_change_pct is 'Change of lasten against the previous quarter in percent; NULL when that quarter has no figure';
comment on column marts.budget_trend_quarterly.yoy_change_pct is 'Change of lasten against the same quarter a year earlier in percent; NULL when that quarter has no figure';

comment on table marts.survey_vs_budget is 'Extra digital cost from the survey as a share of the ICT realisatie budget from Iv3. One row per municipality × quarter with both figures.';
comment on column marts.survey_vs_budget.municipality_code is 'CBS municipality code on the current boundary set';
comment on column marts.survey_vs_budget.quarter is 'Quarter, written 2021Q1';
comment on column marts.survey_vs_budget.digital_extra_eur is 'Extra digital cost reported in the survey, euros';
comment on column marts.survey_vs_budget.ict_budget_eur is 'Iv3 realisatie lasten mapped to budget category ict, euros';
comment on column marts.survey_vs_budget.share_pct is 'digital_extra_eur as a percentage of ict_budget_eur';

comment on table core.dim_municipality is 'CBS municipality register with validity dates. One row per municipality.';
comment on table core.dim_quarter is 'Quarters that have data. One row per quarter.';
comment on table core.dim_cost_category is 'Survey cost categories. One row per category.';
comment on table meta.snapshot is 'What this snapshot holds: quarters covered, when it was built and by which run. One row.';
