-- The DuckDB file of a budget store (sources/budget.py). The batch's rows are in
-- Parquet files beside it, read through the views `staged`, `raw_rows` and `issues`,
-- which the store creates once it has settled restatements.

-- superseded: one row per file × municipality × kind whose lines a later file restates;
-- the `staged` view leaves those lines out.
create table if not exists superseded (
    source_file varchar not null,
    municipality_code varchar not null,
    kind varchar not null
);

-- bad_rows: one row per staged row validation sent to quarantine.
create table if not exists bad_rows (
    row_id bigint not null
);

-- file_columns: one row per file read; the budget columns it has, in the order of the
-- fields of `raw_rows.row_values` (the keys its quarantined rows show).
create table if not exists file_columns (
    source_file varchar not null,
    value_columns varchar[] not null
);
