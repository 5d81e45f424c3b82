-- Descriptions BI tools show next to the dimensions BI reads. The marts' descriptions come
-- from their declarations (warehouse/marts/*.sql, read by warehouse/marts.py).
-- Run in the working warehouse after every mart refresh (refresh_marts) and inside the
-- published snapshot (before sql/comment_snapshot_meta, the snapshot's own meta tables).
-- docs/data_dictionary.md is generated from the snapshot's comments: python -m warehouse.dictionary
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
