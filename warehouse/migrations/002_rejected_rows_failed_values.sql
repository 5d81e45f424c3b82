-- A change to a table of a warehouse that already exists; run after warehouse/ddl/ on every
-- connection, in number order, and harmless when already applied.

-- quarantine.rejected_rows, added column: `column=value` for each column the reasons are about.
alter table quarantine.rejected_rows add column if not exists failed_values varchar[];
