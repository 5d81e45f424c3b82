-- The scratch store of one budget batch (costtrends/budget_batch.py): a DuckDB file that
-- holds the batch's rows from ingest to load, so no step holds a whole budget export in memory.

-- staged: one row per landed row that is not superseded, standardized (the table the
-- budget suite checks).
create table if not exists staged (
    row_id bigint not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null,
    municipality varchar,
    municipality_code varchar,
    quarter varchar not null,
    period_quarter varchar,
    taakveld varchar,
    categorie varchar,
    kind varchar,
    lasten_eur decimal(18, 2),
    baten_eur decimal(18, 2)
);

-- issues: one row per staged row that standardization or the reader found fault with.
create table if not exists issues (
    row_id bigint not null,
    parse_issues varchar[] not null,
    municipality_issue varchar,
    reader_issue varchar
);

-- raw_rows: one row per landed row, superseded ones included, its values as read (JSON).
create table if not exists raw_rows (
    quarter varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null,
    row_values json not null,
    row_id bigint not null
);

-- bad_rows: one row per staged row validation sent to quarantine.
create table if not exists bad_rows (
    row_id bigint not null
);
