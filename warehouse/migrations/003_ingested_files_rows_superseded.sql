-- A change to a table of a warehouse that already exists; run after warehouse/ddl/ on every
-- connection, in number order, and harmless when already applied.

-- meta.ingested_files, added column: rows a newer file of the quarter restated (budget),
-- neither loaded nor quarantined; rows read = loaded + quarantined + superseded.
alter table meta.ingested_files add column if not exists rows_superseded bigint;
