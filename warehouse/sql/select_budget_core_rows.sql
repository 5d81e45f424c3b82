-- core.fct_budget rows of a budget store: staged rows validation did not quarantine.
-- One row per municipality × quarter × taakveld × categorie × kind, as reported.
select
    s.quarter,
    s.municipality_code,
    s.taakveld,
    s.categorie,
    s.kind,
    s.lasten_eur,
    s.baten_eur,
    s.source_file,
    s.source_row
from staged as s
anti join bad_rows as b on b.row_id = s.row_id
