-- meta: runs, files, checks and partitions: what was loaded, when, and how it went.
-- Created idempotently on every connection (warehouse.db.connect), before the migrations.
create schema if not exists meta;

-- meta.runs: one row per pipeline run and quarter.
create table if not exists meta.runs (
    run_id varchar not null,
    quarter varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,
    code_version varchar not null,
    message varchar
);

-- meta.ingested_files: one row per file a run looked at.
create table if not exists meta.ingested_files (
    run_id varchar not null,
    quarter varchar not null,
    source varchar not null,
    file_name varchar not null,
    sha256 varchar,
    size_bytes bigint,
    status varchar not null,
    message varchar,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    unknown_columns varchar[],
    ingested_at timestamp not null
);

-- meta.validation_results: one row per run × quarter × source × expectation.
create table if not exists meta.validation_results (
    run_id varchar not null,
    quarter varchar not null,
    source varchar not null,
    suite varchar not null,
    expectation varchar not null,
    severity varchar not null,
    success boolean not null,
    element_count bigint not null,
    unexpected_count bigint not null
);

-- meta.partitions: one row per source × quarter: what is loaded now.
create table if not exists meta.partitions (
    source varchar not null,
    quarter varchar not null,
    run_id varchar not null,
    loaded_at timestamp not null,
    source_hashes varchar not null,
    code_version varchar not null,
    primary key (source, quarter)
);

-- meta.validation_warnings: one row per row loaded with at least one warning (quarter × source ×
-- source file × source row), with the names of the warnings; replaced with the partition.
create table if not exists meta.validation_warnings (
    run_id varchar not null,
    quarter varchar not null,
    source varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    warnings varchar[] not null
);

-- meta.budget_file_versions: one row per budget quarter × municipality × kind × landing file
-- that reports it, replaced with the quarter. `is_current`: this file's lines are the ones
-- in core; `superseded_by`: the newer file whose lines count instead; `replaced_file` and
-- `replaced_sha256`: the version that was current before this one.
create table if not exists meta.budget_file_versions (
    quarter varchar not null,
    municipality_code varchar not null,
    kind varchar not null,
    file_name varchar not null,
    sha256 varchar not null,
    lines bigint not null,
    is_current boolean not null,
    superseded_by varchar,
    replaced_file varchar,
    replaced_sha256 varchar,
    run_id varchar not null,
    recorded_at timestamp not null
);

-- meta.file_hashes: one row per landing file (its resolved path): the SHA-256 of its content
-- when it had this size, modification and change times, inode and device. Planning reuses the
-- hash while all of them match and hashes a file again when any differs (warehouse.incremental).
create table if not exists meta.file_hashes (
    path varchar not null primary key,
    size_bytes bigint not null,
    mtime_ns bigint not null,
    ctime_ns bigint not null,
    inode ubigint not null,
    device ubigint not null,
    sha256 varchar not null,
    hashed_at timestamp not null
);
