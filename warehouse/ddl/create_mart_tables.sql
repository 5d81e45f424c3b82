-- Tables refresh_marts needs besides those the SQL marts create from their models.

-- Types follow the SQL marts: money DOUBLE (rounded to the cent), counts INTEGER (a BIGINT
-- reaches Node clients as a BigInt, which JSON cannot hold), quarter_start DATE.

-- marts.national_estimate: one row per quarter × cost category.
-- Computed in transforms/estimate.py (national_estimate), loaded by refresh_marts.
create table if not exists marts.national_estimate (
    quarter varchar not null,
    cost_category varchar not null,
    respondents integer not null,
    population_coverage_pct double,
    estimate_eur double,
    estimate_low_eur double,
    estimate_high_eur double,
    quarter_start date not null
);

-- marts.national_estimate_period: one row per period type × period × cost category.
-- Computed in transforms/estimate.py (national_estimate_periods), loaded by refresh_marts.
-- quarter_start: the first day of the period's first quarter.
create table if not exists marts.national_estimate_period (
    period_type varchar not null,
    period varchar not null,
    cost_category varchar not null,
    quarters_covered integer not null,
    estimate_eur double,
    estimate_low_eur double,
    estimate_high_eur double,
    quarter_start date not null
);

-- meta.mart_state: what the marts were last built from (code version and boundary set).
-- One row. When it differs from the current inputs the next refresh rebuilds every quarter.
create table if not exists meta.mart_state (
    fingerprint varchar not null,
    built_at timestamp not null
);
-- behind_from: the first quarter index whose mart rows may lag core, because the last
-- refresh ended before the last quarter loaded and left the rest to a later one; null
-- when every quarter's rows are current. Added to warehouses built before it existed.
alter table meta.mart_state add column if not exists behind_from integer;
