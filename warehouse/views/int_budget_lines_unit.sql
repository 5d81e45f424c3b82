-- core.int_budget_lines_unit: one row per reporting municipality (as reported) × quarter ×
-- budget category × kind, Iv3 lines mapped through the (taakveld, categorie) seed.
create or replace view core.int_budget_lines_unit as
select
    f.quarter,
    q.quarter_index,
    f.municipality_code,
    coalesce(m.budget_category, 'unmapped') as budget_category,
    f.kind,
    sum(f.lasten_eur) as lasten_eur,
    sum(f.baten_eur) as baten_eur
from core.fct_budget as f
inner join core.dim_quarter as q on q.quarter = f.quarter
left join core.dim_budget_category as m
    on m.taakveld = f.taakveld and m.categorie = f.categorie
group by all;
