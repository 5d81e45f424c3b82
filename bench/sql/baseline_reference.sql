-- The reference dimensions the marts read, straight from the seed CSVs (the baseline's
-- equivalent of warehouse/seeds.py). One statement per dimension.

insert into core.dim_municipality
select code, name, province, try_cast(valid_from as date), try_cast(valid_to as date)
from read_csv($municipalities, all_varchar = true, header = true);

insert into core.dim_municipality_population
select code, cast(right(year, 4) as integer), cast(population as bigint)
from (
    unpivot (select * from read_csv($municipalities, all_varchar = true, header = true))
    on columns('^population_')
    into name year value population
)
where population is not null and population <> '';

insert into core.dim_merger
select m.old_code, m.old_name, m.new_code, m.new_name, cast(m.effective_date as date),
    coalesce(cast(s.share as double), 1.0)
from read_csv($mergers, all_varchar = true, header = true) as m
left join read_csv($shares, all_varchar = true, header = true) as s using (old_code, new_code);

-- Every code → the municipality it belongs to now, following mergers transitively.
insert into core.map_boundary
with recursive chain (municipality_code, boundary_code, share, depth) as (
    select code, code, 1.0::double, 0
    from (select municipality_code as code from core.dim_municipality union select old_code from core.dim_merger)
    union all
    select c.municipality_code, m.new_code, c.share * m.share, c.depth + 1
    from chain as c
    inner join core.dim_merger as m on m.old_code = c.boundary_code
    where c.depth < 20
)
select municipality_code, boundary_code, sum(share)
from chain as c
where not exists (select 1 from core.dim_merger as m where m.old_code = c.boundary_code)
group by all;

insert into core.dim_boundary_population
select b.boundary_code, p.year, cast(round(sum(p.population * b.share)) as bigint)
from core.dim_municipality_population as p
inner join core.map_boundary as b using (municipality_code)
group by all;

insert into core.dim_iv3_taakveld
select code, name, try_cast(first_year as integer), try_cast(last_year as integer)
from read_csv($taakvelden, all_varchar = true, header = true);

insert into core.dim_iv3_categorie
select code, name from read_csv($categorieen, all_varchar = true, header = true);

-- (taakveld, categorie) → budget category, the most specific rule first.
insert into core.dim_budget_category
select taakveld, categorie, budget_category
from (
    select
        t.taakveld,
        c.categorie,
        r.budget_category,
        row_number() over (
            partition by t.taakveld, c.categorie
            order by (r.taakveld <> '*')::int * 2 + (r.categorie <> '*')::int desc
        ) as rank
    from core.dim_iv3_taakveld as t
    cross join core.dim_iv3_categorie as c
    inner join read_csv($rules, all_varchar = true, header = true) as r
        on (r.taakveld = '*' or r.taakveld = t.taakveld) and (r.categorie = '*' or r.categorie = c.categorie)
)
where rank = 1;

insert into core.dim_cost_category
select cost_category, is_digital = 'true', description
from read_csv($cost_categories, all_varchar = true, header = true);
