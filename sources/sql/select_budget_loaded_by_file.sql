-- Rows of a budget store that load into core (staged, not quarantined), per source file.
select s.source_file, count(*) as lines
from staged as s
anti join bad_rows as b on b.row_id = s.row_id
group by s.source_file
