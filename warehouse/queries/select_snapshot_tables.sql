-- Report: the snapshot's tables as schema.table, to leave out sections whose table it lacks.
select schema_name || '.' || table_name from duckdb_tables()
