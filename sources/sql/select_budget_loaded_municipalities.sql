-- Municipalities whose budget lines of a store load into core (staged, not quarantined).
select count(distinct s.municipality_code) as municipality_count
from staged as s
anti join bad_rows as b on b.row_id = s.row_id
