-- core.fct_budget rows of a budget store (attached as budget_store): its staged rows that
-- validation did not quarantine.
-- One row per municipality × quarter × taakveld × categorie × kind, as reported.
insert into core.fct_budget by name
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
from budget_store.staged as s
anti join budget_store.bad_rows as b on b.row_id = s.row_id
