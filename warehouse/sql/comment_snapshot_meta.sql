-- Descriptions of the snapshot's own meta tables. Run inside the snapshot, after comment_snapshot.
comment on table meta.snapshot is 'What this snapshot holds: its id, the quarters covered, when and by which run it was built. One row.';
comment on column meta.snapshot.snapshot_id is 'Unique id of this snapshot; the Parquet copies'' manifest (parquet/_snapshot.json) names the same id';
comment on column meta.snapshot.first_quarter is 'First quarter with data, written 2021Q1';
comment on column meta.snapshot.last_quarter is 'Last quarter with data, written 2021Q1';
comment on column meta.snapshot.quarters is 'Number of quarters with data';
comment on column meta.snapshot.built_at is 'When the snapshot was built, UTC';
comment on column meta.snapshot.source_run is 'Pipeline run that published it (run id in the working warehouse''s meta.runs)';
comment on column meta.snapshot.storage_version is 'DuckDB storage version the file is written with; DuckDB clients at least this old open it';

comment on table meta.snapshot_tables is 'Every mart, dimension and meta.data_quality table of this snapshot with its row count and a content checksum, so a reader can check it reads one complete snapshot (see docs/bi.md). One row per table.';
comment on column meta.snapshot_tables.table_schema is 'Schema of the table (marts, core or meta)';
comment on column meta.snapshot_tables.table_name is 'Name of the table';
comment on column meta.snapshot_tables.row_count is 'Rows in the table';
comment on column meta.snapshot_tables.content_md5 is 'MD5 over the sorted MD5s of its rows, each row being its values cast to text, tab-separated, NULL as \N (order-independent; the same in DuckDB 1.1 and 2.0)';

comment on table meta.data_quality is 'Data quality of the loaded partitions: files, rows read, loaded and quarantined, municipalities reporting. One row per quarter × source.';
comment on column meta.data_quality.quarter is 'Quarter, written 2021Q1';
comment on column meta.data_quality.source is 'survey or budget';
comment on column meta.data_quality.files is 'Landing files the loading run looked at';
comment on column meta.data_quality.rejected_files is 'Files rejected whole (unreadable, a required column missing, no data rows)';
comment on column meta.data_quality.rows_read is 'Rows read from the files that were not rejected';
comment on column meta.data_quality.rows_loaded is 'Rows that passed every check and were loaded; rows_read = rows_loaded + rows_quarantined';
comment on column meta.data_quality.rows_quarantined is 'Rows set aside with their reasons (see costtrends quarantine)';
comment on column meta.data_quality.municipalities is 'Municipalities reporting: survey respondents (latest complete response each) or municipalities with budget lines';
