-- The staged rows of a budget store that may go to quarantine: those a check failed
-- (registered as _failed, one row_id each) and those with an issue from standardization
-- or the reader; with their issues and their values as read. The few suspect ids are
-- looked up in the large staged and raw rows, never the other way round.
--
-- row_values: the landed struct as JSON text, one key per column of the row's file in
-- field order (a column the file does not have is no key; an empty cell is "" and a
-- missing one null, as read), as quarantine.rejected_rows keeps it.
with

suspects as (
    select row_id from _failed
    union
    select row_id from issues
),

suspect_staged as (
    select * from staged where row_id in (select row_id from suspects)
),

suspect_raw as (
    select
        r.row_id,
        to_json(
            map_from_entries(
                list_filter(
                    map_entries(to_json(r.row_values)::map(varchar, json)),
                    lambda e: list_contains(f.value_columns, e.key)
                )
            )
        )::varchar as row_values
    from raw_rows as r
    inner join file_columns as f using (source_file)
    where r.row_id in (select row_id from suspects)
)

select
    s.*,
    coalesce(i.parse_issues, []::varchar[]) as parse_issues,
    i.municipality_issue,
    i.reader_issue,
    r.row_values
from suspect_staged as s
left join issues as i using (row_id)
inner join suspect_raw as r using (row_id)
order by s.row_id
