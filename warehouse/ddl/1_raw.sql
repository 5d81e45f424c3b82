-- raw: rows as read (text), personal columns already dropped, with lineage.
-- Created idempotently on every connection (warehouse.db.connect), before the migrations.
create schema if not exists raw;

-- One row per landed survey row.
create table if not exists raw.survey_responses (
    quarter varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null,
    row_values json not null
);

-- One row per landed budget row.
create table if not exists raw.budget_lines (
    quarter varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null,
    row_values json not null
);
