-- The staged rows of a budget store that may go to quarantine: those a check failed
-- (registered as _failed, one row_id each) and those with an issue from standardization
-- or the reader; with their issues and their values as read.
with

suspects as (
    select row_id from _failed
    union
    select row_id from issues
)

select
    s.*,
    coalesce(i.parse_issues, []::varchar[]) as parse_issues,
    i.municipality_issue,
    i.reader_issue,
    r.row_values
from staged as s
inner join suspects using (row_id)
left join issues as i using (row_id)
inner join raw_rows as r using (row_id)
order by s.row_id
