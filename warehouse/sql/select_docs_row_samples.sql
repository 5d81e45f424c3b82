-- Validation page: the first $rows_shown rows per source that run $run_id quarantined (kind
-- 'quarantined': reasons, failed values) or loaded with warnings (kind 'warned': warnings),
-- with the source's total of that kind. One row per quarantined or warned source row.
with

marked as (
    select 'quarantined' as kind, source, source_file, source_row, reasons, failed_values
    from quarantine.rejected_rows
    where run_id = $run_id
    union all by name
    select 'warned' as kind, source, source_file, source_row, warnings
    from meta.validation_warnings
    where run_id = $run_id
),

numbered as (
    select
        *,
        row_number() over (partition by kind, source order by source_file, source_row) as n,
        count(*) over (partition by kind, source) as total
    from marked
)

select kind, source, source_file, source_row, reasons, failed_values, warnings, total
from numbered
where n <= $rows_shown
order by kind, source, source_file, source_row
