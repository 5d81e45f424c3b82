-- Intermediate views the marts read: core facts moved onto the boundary set.
-- Every view carries quarter_index, so a mart can filter its inputs to the window it
-- rebuilds (the filter is pushed through the views' joins and groupings).

-- core.int_survey_cost_boundary: one row per boundary municipality × quarter × cost category
-- with a reported amount. A dissolved municipality's figures go to its successor(s) by
-- share, rounded to cents after summing; `population` is the population of the reporting
-- units that contributed, for the quarter's year (the latest year on file when the
-- quarter's year has none yet).
create or replace view core.int_survey_cost_boundary as
with

costs as (
    select * from core.fct_survey_cost where amount_eur is not null
),

reported as (
    select
        c.quarter,
        q.quarter_index,
        q.year,
        b.boundary_code as municipality_code,
        c.cost_category,
        c.amount_eur * cast(b.share as decimal(9, 4)) as amount_eur,
        cast(p.population as decimal(18, 0)) * cast(b.share as decimal(9, 4)) as population
    from costs as c
    inner join core.dim_quarter as q on q.quarter = c.quarter
    inner join core.map_boundary as b on b.municipality_code = c.municipality_code
    asof left join core.dim_municipality_population as p
        on p.municipality_code = c.municipality_code and q.year >= p.year
)

select
    quarter,
    quarter_index,
    year,
    municipality_code,
    cost_category,
    cast(round(sum(amount_eur), 2) as decimal(18, 2)) as amount_eur,
    cast(round(sum(population), 0) as bigint) as population
from reported
group by all;

-- core.int_survey_amount_boundary: the amounts of core.int_survey_cost_boundary alone, computed
-- the same way (the incremental refresh test holds them equal). The cumulative sums read it
-- over the whole history, so it leaves out the population lookup.
create or replace view core.int_survey_amount_boundary as
select
    c.quarter,
    q.quarter_index,
    b.boundary_code as municipality_code,
    c.cost_category,
    cast(round(sum(c.amount_eur * cast(b.share as decimal(9, 4))), 2) as decimal(18, 2)) as amount_eur
from core.fct_survey_cost as c
inner join core.dim_quarter as q on q.quarter = c.quarter
inner join core.map_boundary as b on b.municipality_code = c.municipality_code
where c.amount_eur is not null
group by all;

-- core.int_survey_totals_unit: one row per reporting municipality (as reported, before the
-- boundary move) × quarter that reported at least one cost category: its digital extra
-- (the digital categories it reported, summed) and its office savings (NULL if not reported).
create or replace view core.int_survey_totals_unit as
select
    c.quarter,
    q.quarter_index,
    c.municipality_code,
    sum(c.amount_eur) filter (where k.is_digital) as digital_extra_eur,
    sum(c.amount_eur) filter (where not k.is_digital) as office_savings_eur
from core.fct_survey_cost as c
inner join core.dim_quarter as q on q.quarter = c.quarter
inner join core.dim_cost_category as k on k.cost_category = c.cost_category
where c.amount_eur is not null
group by all;

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
