-- The baseline's validation result for one file: rows failing each check, as counts.
select
    count(*) as rows_read,
    count(*) filter (where not ok_municipality) as municipality_unknown,
    count(*) filter (where not ok_taakveld) as taakveld_unknown,
    count(*) filter (where not ok_categorie) as categorie_unknown,
    count(*) filter (where not ok_kind) as kind_unknown,
    count(*) filter (where not ok_amounts) as amount_missing,
    count(*) filter (where not ok_period) as period_mismatch,
    count(*) filter (
        where ok_municipality and ok_taakveld and ok_categorie and ok_kind and ok_amounts and ok_period
    ) as rows_loaded
from checked
