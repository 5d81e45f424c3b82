-- `costtrends quarantine`: one row per quarantined source row, optionally of one quarter,
-- source or file (NULL: all), the first $limit in quarter, source, file and row order.
select
    quarter,
    source,
    source_file,
    source_row,
    reasons,
    coalesce(failed_values, []::varchar[]) as failed_values,
    row_values
from quarantine.rejected_rows
where
    ($quarter is null or quarter = $quarter)
    and ($source is null or source = $source)
    and ($file is null or source_file = $file)
order by quarter, source, source_file, source_row
limit $limit
