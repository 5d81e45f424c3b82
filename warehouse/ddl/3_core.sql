-- core: typed facts and the reference dimensions the marts are built from.
-- Created idempotently on every connection (warehouse.db.connect), before the migrations.
create schema if not exists core;

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
