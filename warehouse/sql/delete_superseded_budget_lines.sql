-- Take the lines of superseded file × municipality × kind (registered as _superseded)
-- out of a budget store's staged rows; their raw rows stay.
delete from issues
where row_id in (
    select s.row_id
    from staged as s
    inner join _superseded as x
        on x.source_file = s.source_file
        and x.municipality_code = s.municipality_code
        and x.kind = s.kind
);
delete from staged as s
using _superseded as x
where x.source_file = s.source_file
    and x.municipality_code = s.municipality_code
    and x.kind = s.kind;
