-- Validation page: the first $rows_shown rows per source that run $run_id loaded with
-- warnings, with the source's total. One row per warned source row.
with

rows as (
    select
        source,
        source_file,
        source_row,
        warnings,
        row_number() over (partition by source order by source_file, source_row) as n,
        count(*) over (partition by source) as total
    from meta.validation_warnings
    where run_id = $run_id
)

select source, source_file, source_row, warnings, total
from rows
where n <= $rows_shown
order by source, source_file, source_row
