-- The warehouse's layers, created idempotently on every connection.
create schema if not exists raw;
create schema if not exists quarantine;
create schema if not exists core;
create schema if not exists marts;
create schema if not exists meta;

-- raw: rows as read (text), personal columns already dropped, with lineage.
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

-- core.dim_municipality: one row per municipality in the register, with validity dates.
create table if not exists core.dim_municipality (
    municipality_code varchar primary key,
    municipality_name varchar not null,
    province varchar not null,
    valid_from date,
    valid_to date
);

-- core.dim_municipality_population: one row per municipality × year (1 January).
create table if not exists core.dim_municipality_population (
    municipality_code varchar not null,
    year integer not null,
    population bigint not null,
    primary key (municipality_code, year)
);

-- core.dim_merger: one row per dissolved municipality × receiving municipality.
create table if not exists core.dim_merger (
    old_code varchar not null,
    old_name varchar not null,
    new_code varchar not null,
    new_name varchar not null,
    effective_date date not null,
    share double not null,
    primary key (old_code, new_code)
);

-- core.dim_quarter: one row per quarter that has data.
create table if not exists core.dim_quarter (
    quarter varchar primary key,
    year integer not null,
    quarter_of_year integer not null,
    quarter_index integer not null,
    start_date date not null,
    end_date date not null
);

-- core.dim_cost_category: one row per survey cost category.
create table if not exists core.dim_cost_category (
    cost_category varchar primary key,
    is_digital boolean not null,
    description varchar not null
);

-- core.dim_size_class: one row per size class by inhabitants, with its least population (a
-- class runs up to the next one's); from transforms.reference.SIZE_CLASS_FLOORS.
create table if not exists core.dim_size_class (
    size_class varchar primary key,
    min_population bigint not null
);

-- core.dim_iv3_taakveld / dim_iv3_categorie: one row per Iv3 code of any boekjaar, from CBS's
-- definition files (warehouse/seeds/iv3/, read by transforms/iv3.py): name of the latest year,
-- first and last boekjaar (last_year NULL: valid in the latest file).
create table if not exists core.dim_iv3_taakveld (
    taakveld varchar primary key,
    name varchar not null,
    first_year integer,
    last_year integer
);
create table if not exists core.dim_iv3_categorie (
    categorie varchar primary key,
    name varchar not null
);

-- core.dim_budget_category: one row per (taakveld, categorie) mapped to a budget category.
create table if not exists core.dim_budget_category (
    taakveld varchar not null,
    categorie varchar not null,
    budget_category varchar not null,
    primary key (taakveld, categorie)
);

-- core.fct_survey_response: one row per valid survey response (superseded ones kept, flagged).
create table if not exists core.fct_survey_response (
    quarter varchar not null,
    response_id varchar not null,
    municipality_code varchar not null,
    submitted_at timestamp,
    fte double,
    remote_share_now_pct double,
    remote_share_expected_pct double,
    is_complete boolean not null,
    is_superseded boolean not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null
);

-- core.fct_survey_cost: one row per current response × cost category (municipality × quarter × category).
create table if not exists core.fct_survey_cost (
    quarter varchar not null,
    municipality_code varchar not null,
    cost_category varchar not null,
    amount_eur decimal(18, 2),
    answer_status varchar not null,
    response_id varchar not null
);

-- core.fct_budget: one row per municipality × quarter × taakveld × categorie × kind.
create table if not exists core.fct_budget (
    quarter varchar not null,
    municipality_code varchar not null,
    taakveld varchar not null,
    categorie varchar not null,
    kind varchar not null,
    lasten_eur decimal(18, 2) not null,
    baten_eur decimal(18, 2) not null,
    source_file varchar not null,
    source_row bigint not null
);

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

-- core.map_boundary: one row per reported municipality code × municipality on the boundary set.
create table if not exists core.map_boundary (
    municipality_code varchar not null,
    boundary_code varchar not null,
    share double not null,
    primary key (municipality_code, boundary_code)
);

-- core.dim_boundary_population: one row per municipality on the boundary set × year,
-- its predecessors' populations summed by share.
create table if not exists core.dim_boundary_population (
    municipality_code varchar not null,
    year integer not null,
    population bigint not null,
    primary key (municipality_code, year)
);

-- meta.validation_results, added columns: what the check expects, and in words what it found
-- when the counts alone do not say (a batch-level failure, a drift warning).
alter table meta.validation_results add column if not exists description varchar;
alter table meta.validation_results add column if not exists message varchar;

-- quarantine.rejected_rows, added column: `column=value` for each column the reasons are about.
alter table quarantine.rejected_rows add column if not exists failed_values varchar[];

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

-- meta.ingested_files, added column: rows a newer file of the quarter restated (budget),
-- neither loaded nor quarantined; rows read = loaded + quarantined + superseded.
alter table meta.ingested_files add column if not exists rows_superseded bigint;

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
