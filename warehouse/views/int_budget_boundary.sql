-- core.int_budget_boundary: one row per boundary municipality × quarter × budget category × kind.
create or replace view core.int_budget_boundary as
select
    l.quarter,
    l.quarter_index,
    b.boundary_code as municipality_code,
    l.budget_category,
    l.kind,
    cast(round(sum(l.lasten_eur * cast(b.share as decimal(9, 4))), 2) as decimal(18, 2)) as lasten_eur,
    cast(round(sum(l.baten_eur * cast(b.share as decimal(9, 4))), 2) as decimal(18, 2)) as baten_eur
from core.int_budget_lines_unit as l
inner join core.map_boundary as b on b.municipality_code = l.municipality_code
group by all;
