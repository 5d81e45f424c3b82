-- Forget what was read of one file ($source_file) in a budget store, to read it again or reject it.
delete from issues where row_id in (select row_id from staged where source_file = $source_file);
delete from staged where source_file = $source_file;
delete from raw_rows where source_file = $source_file;
