-- Descriptions BI tools show next to tables and columns: the marts and the dimensions BI reads.
-- Run in the working warehouse after every mart refresh (refresh_marts) and inside the
-- published snapshot (before sql/comment_snapshot_meta, the snapshot's own meta tables).
-- docs/data_dictionary.md is generated from the snapshot's comments: python -m warehouse.dictionary
-- Every euro column of the marts is a DOUBLE rounded to the cent (docs/bi.md, "Types").
comment on table marts.cost_trend_quarterly is 'Survey extra cost per municipality, quarter and cost category, on one municipal boundary set (the register''s current municipalities unless configured otherwise). One row per municipality × quarter × cost category with a reported amount; figures of merged municipalities are summed into their successor (a split one apportioned by share). A municipality that did not answer has no row, not a zero.';
comment on column marts.cost_trend_quarterly.municipality_code is 'CBS municipality code (GM####) on the boundary set';
comment on column marts.cost_trend_quarterly.municipality_name is 'Official CBS municipality name';
comment on column marts.cost_trend_quarterly.size_class is 'Size class by inhabitants of the municipality on the boundary set on 1 January of the quarter''s year: <20k, 20k-50k, 50k-100k, >=100k';
comment on column marts.cost_trend_quarterly.quarter is 'Quarter, written 2021Q1';
comment on column marts.cost_trend_quarterly.cost_category is 'hardware, software_licences, ict_support, security, other (extra digital cost) or office_savings (a saving)';
comment on column marts.cost_trend_quarterly.amount_eur is 'Amount reported for the quarter, in euros';
comment on column marts.cost_trend_quarterly.amount_per_1000_inhabitants is 'Amount per 1,000 inhabitants of the municipalities that reported it (population on 1 January of the quarter''s year, the latest year on file when that year has none yet)';
comment on column marts.cost_trend_quarterly.qoq_change_eur is 'Change against the previous quarter in euros; NULL when that quarter has no amount';
comment on column marts.cost_trend_quarterly.qoq_change_pct is 'Change against the previous quarter in percent; NULL when that quarter has no amount or it is zero';
comment on column marts.cost_trend_quarterly.yoy_change_pct is 'Change against the same quarter a year earlier in percent; NULL when that quarter has no amount or it is zero';
comment on column marts.cost_trend_quarterly.rolling_4q_eur is 'Sum over this and the three previous quarters, euros; NULL unless all four have an amount';
comment on column marts.cost_trend_quarterly.cumulative_eur is 'Sum of all reported quarters up to and including this one, euros';
comment on column marts.cost_trend_quarterly.quarter_start is 'First day of the quarter (a DATE, for a BI time axis)';

comment on table marts.national_estimate is 'National estimate per quarter and cost category from the municipalities that answered: stratified ratio estimator by size class with a 90% interval (see docs/estimate.md). One row per quarter × cost category with at least one respondent.';
comment on column marts.national_estimate.quarter is 'Quarter, written 2021Q1';
comment on column marts.national_estimate.cost_category is 'hardware, software_licences, ict_support, security, other or office_savings';
comment on column marts.national_estimate.respondents is 'Municipalities (as they existed in the quarter) that reported an amount for the category';
comment on column marts.national_estimate.population_coverage_pct is 'Share of the national population living in responding municipalities, percent';
comment on column marts.national_estimate.estimate_eur is 'Estimated national total for the quarter, euros';
comment on column marts.national_estimate.estimate_low_eur is 'Lower bound of the 90% interval, euros (not below zero); NULL when a single respondent leaves no variance to estimate';
comment on column marts.national_estimate.estimate_high_eur is 'Upper bound of the 90% interval, euros; NULL when a single respondent leaves no variance to estimate';
comment on column marts.national_estimate.quarter_start is 'First day of the quarter (a DATE, for a BI time axis)';

comment on table marts.national_estimate_period is 'National estimate per quarter, half year and year, per cost category and for the digital categories together (digital_total). A period''s estimate is the sum of its quarters'' estimates and its interval adds their half-widths (see docs/estimate.md). One row per period type × period × cost category.';
comment on column marts.national_estimate_period.period_type is 'quarter, half_year or year';
comment on column marts.national_estimate_period.period is 'The period: 2021Q1 (quarter), 2021H1 (half year) or 2021 (year)';
comment on column marts.national_estimate_period.cost_category is 'A cost category, or digital_total: hardware, software licences, ICT support, security and other together, estimated from the sums of the municipalities that answered all five';
comment on column marts.national_estimate_period.quarters_covered is 'Quarters of the period that have an estimate; a half year is complete at 2, a year at 4';
comment on column marts.national_estimate_period.estimate_eur is 'Estimated national total over the quarters covered, euros';
comment on column marts.national_estimate_period.estimate_low_eur is 'Lower bound of the 90% interval, euros (not below zero); NULL when a quarter''s bound is NULL';
comment on column marts.national_estimate_period.estimate_high_eur is 'Upper bound of the 90% interval, euros; NULL when a quarter''s bound is NULL';
comment on column marts.national_estimate_period.quarter_start is 'First day of the period''s first quarter (a DATE): 2021-07-01 for 2021Q3 and for 2021H2, 2021-01-01 for 2021';

comment on table marts.net_cost is 'Extra digital cost minus office savings per municipality (boundary set) and quarter. One row per municipality × quarter with at least one digital category reported.';
comment on column marts.net_cost.municipality_code is 'CBS municipality code on the boundary set';
comment on column marts.net_cost.quarter is 'Quarter, written 2021Q1';
comment on column marts.net_cost.digital_extra_eur is 'Sum of the hardware, software licences, ICT support, security and other extra cost reported, euros';
comment on column marts.net_cost.office_savings_eur is 'Savings on office space reported, euros; NULL when not reported';
comment on column marts.net_cost.net_cost_eur is 'digital_extra_eur minus office_savings_eur, euros; NULL when savings were not reported (not counted as zero)';
comment on column marts.net_cost.quarter_start is 'First day of the quarter (a DATE, for a BI time axis)';

comment on table marts.budget_trend_quarterly is 'Iv3 budget figures per municipality (boundary set), quarter, budget category and kind; merged municipalities summed into their successor. One row per municipality × quarter × budget category × kind.';
comment on column marts.budget_trend_quarterly.municipality_code is 'CBS municipality code on the boundary set';
comment on column marts.budget_trend_quarterly.quarter is 'Quarter, written 2021Q1';
comment on column marts.budget_trend_quarterly.budget_category is 'Budget category from the (taakveld, categorie) mapping seed: ict, housing, other_overhead, other, unmapped';
comment on column marts.budget_trend_quarterly.kind is 'begroting (budget) or realisatie (actuals)';
comment on column marts.budget_trend_quarterly.lasten_eur is 'Expenditure (lasten), euros';
comment on column marts.budget_trend_quarterly.baten_eur is 'Income (baten), euros';
comment on column marts.budget_trend_quarterly.qoq_change_pct is 'Change of lasten against the previous quarter in percent; NULL when that quarter has no figure or it is zero';
comment on column marts.budget_trend_quarterly.yoy_change_pct is 'Change of lasten against the same quarter a year earlier in percent; NULL when that quarter has no figure or it is zero';
comment on column marts.budget_trend_quarterly.quarter_start is 'First day of the quarter (a DATE, for a BI time axis)';

comment on table marts.survey_vs_budget is 'Extra digital cost from the survey as a share of the ICT realisatie budget from Iv3, per municipality (boundary set) and quarter. Survey and budget are matched per reporting municipality before merged ones are summed into their successor. One row per municipality × quarter with both figures.';
comment on column marts.survey_vs_budget.municipality_code is 'CBS municipality code on the boundary set';
comment on column marts.survey_vs_budget.quarter is 'Quarter, written 2021Q1';
comment on column marts.survey_vs_budget.digital_extra_eur is 'Extra digital cost reported in the survey, euros';
comment on column marts.survey_vs_budget.ict_budget_eur is 'Iv3 realisatie lasten mapped to budget category ict, of the same reporting municipalities, euros';
comment on column marts.survey_vs_budget.share_pct is 'digital_extra_eur as a percentage of ict_budget_eur; NULL when the ICT budget is zero';
comment on column marts.survey_vs_budget.quarter_start is 'First day of the quarter (a DATE, for a BI time axis)';

comment on table core.dim_municipality is 'CBS municipality register with validity dates, including dissolved municipalities. One row per municipality.';
comment on column core.dim_municipality.municipality_code is 'CBS municipality code (GM####)';
comment on column core.dim_municipality.municipality_name is 'Official CBS municipality name';
comment on column core.dim_municipality.province is 'Province';
comment on column core.dim_municipality.valid_from is 'First day the municipality existed; NULL when before the register''s first year';
comment on column core.dim_municipality.valid_to is 'Last day the municipality existed; NULL when it still exists';

comment on table core.dim_quarter is 'Quarters that have data. One row per quarter.';
comment on column core.dim_quarter.quarter is 'Quarter, written 2021Q1';
comment on column core.dim_quarter.year is 'Calendar year';
comment on column core.dim_quarter.quarter_of_year is 'Quarter number within the year, 1 to 4';
comment on column core.dim_quarter.quarter_index is 'Running quarter number: consecutive quarters differ by one';
comment on column core.dim_quarter.start_date is 'First day of the quarter';
comment on column core.dim_quarter.end_date is 'Last day of the quarter';

comment on table core.dim_cost_category is 'Survey cost categories. One row per category.';
comment on column core.dim_cost_category.cost_category is 'Category name as used in the marts';
comment on column core.dim_cost_category.is_digital is 'True for the extra digital cost categories, false for office savings';
comment on column core.dim_cost_category.description is 'What the category covers';
