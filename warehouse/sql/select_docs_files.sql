-- Validation page: one row per file run ? looked at, with its row accounting.
select
    source,
    file_name,
    status,
    message,
    rows_read,
    rows_loaded,
    rows_quarantined
from meta.ingested_files
where run_id = ?
order by source, file_name
