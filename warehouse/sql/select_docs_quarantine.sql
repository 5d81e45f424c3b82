-- Validation page: the first $rows_shown rows per source that run $run_id quarantined, with
-- the source's total. One row per quarantined source row.
with

rows as (
    select
        source,
        source_file,
        source_row,
        reasons,
        failed_values,
        row_number() over (partition by source order by source_file, source_row) as n,
        count(*) over (partition by source) as total
    from quarantine.rejected_rows
    where run_id = $run_id
)

select source, source_file, source_row, reasons, failed_values, total
from rows
where n <= $rows_shown
order by source, source_file, source_row
