-- meta.mart_state: what the marts were last built from (code version and boundary set).
-- One row. When it differs from the current inputs the next refresh rebuilds every quarter.
-- The mart tables themselves are created from their declarations (warehouse/marts.py).
create table if not exists meta.mart_state (
    fingerprint varchar not null,
    built_at timestamp not null
);
-- behind_from: the first quarter index whose mart rows may lag core, because the last
-- refresh ended before the last quarter loaded and left the rest to a later one; null
-- when every quarter's rows are current. Added to warehouses built before it existed.
alter table meta.mart_state add column if not exists behind_from integer;
