-- quarantine: every row that did not load, with its reasons and lineage.
-- Created idempotently on every connection (warehouse.db.connect), before the migrations.
create schema if not exists quarantine;

-- quarantine: one row per rejected input row, with every reason it failed.
create table if not exists quarantine.rejected_rows (
    run_id varchar not null,
    quarter varchar not null,
    source varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    row_values json not null,
    reasons varchar[] not null
);
