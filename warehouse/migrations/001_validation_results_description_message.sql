-- A change to a table of a warehouse that already exists; run after warehouse/ddl/ on every
-- connection, in number order, and harmless when already applied.

-- meta.validation_results, added columns: what the check expects, and in words what it found
-- when the counts alone do not say (a batch-level failure, a drift warning).
alter table meta.validation_results add column if not exists description varchar;
alter table meta.validation_results add column if not exists message varchar;
