-- The partition a batch wrote: which run, when, from which files, by which code.
insert into meta.partitions (source, quarter, run_id, loaded_at, source_hashes, code_version)
values ($source, $quarter, $run_id, $loaded_at, $source_hashes, $code_version);
