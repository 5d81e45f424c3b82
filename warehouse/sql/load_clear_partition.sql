-- Before a batch of one source × quarter ($source, $quarter) is written: its rows in the
-- tables every source shares. (Its raw and core tables are cleared by name, see warehouse/load.py.)
delete from quarantine.rejected_rows where quarter = $quarter and source = $source;
delete from meta.validation_warnings where quarter = $quarter and source = $source;
delete from meta.partitions where source = $source and quarter = $quarter;
