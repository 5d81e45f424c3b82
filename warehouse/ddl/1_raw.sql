-- raw: rows as read (text), personal columns already dropped, with lineage.
-- Created idempotently on every connection (warehouse.db.connect), before the migrations.
create schema if not exists raw;

-- One row per landed survey row. Its columns vary by wave: the values as JSON text, one key
-- per canonical column the file has.
create table if not exists raw.survey_responses (
    quarter varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null,
    row_values json not null
);

-- One row per landed budget row (superseded lines included). The values as read, one text
-- field per budget column (transforms.schema.BUDGET_COLUMNS, in that order); a column the
-- file does not have is NULL. DuckDB stores each field as a column of its own, so reading
-- `row_values.lasten` reads only that. Lineage from a core line is one join on
-- (quarter, source_file, source_row).
create table if not exists raw.budget_lines (
    quarter varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null,
    row_values struct(
        municipality varchar,
        period varchar,
        year varchar,
        quarter varchar,
        taakveld varchar,
        categorie varchar,
        kind varchar,
        lasten varchar,
        baten varchar,
        unit varchar
    ) not null
);
