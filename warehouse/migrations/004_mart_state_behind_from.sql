-- A change to a table of a warehouse that already exists; run after warehouse/ddl/ on every
-- connection, in number order, and harmless when already applied.

-- meta.mart_state, added column: behind_from, the first quarter index whose mart rows may
-- lag core, because the last refresh ended before the last quarter loaded and left the rest
-- to a later one; null when every quarter's rows are current.
alter table meta.mart_state add column if not exists behind_from integer;
