-- The sampling frame of the national estimate: one row per municipality that existed during
-- the quarter × quarter, with its population on 1 January of the quarter's year (the latest
-- year on file when that year has none yet).
select
    q.quarter,
    m.municipality_code,
    p.population
from core.dim_quarter as q
inner join core.dim_municipality as m
    on (m.valid_from is null or m.valid_from <= q.end_date)
    and (m.valid_to is null or m.valid_to >= q.start_date)
asof inner join core.dim_municipality_population as p
    on p.municipality_code = m.municipality_code and q.year >= p.year
where q.quarter_index between $1 and $2
order by q.quarter, m.municipality_code
