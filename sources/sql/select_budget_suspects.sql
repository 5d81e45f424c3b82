-- The staged rows of a budget store that may go to quarantine: those a check failed
-- (registered as _failed, one row_id each) and those with an issue from standardization
-- or the reader; with their issues and their values as read. The few suspect ids are
-- looked up in the large staged and raw rows, never the other way round.
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
    select row_id, row_values from raw_rows where row_id in (select row_id from suspects)
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
