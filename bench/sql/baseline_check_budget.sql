-- One budget file, landed as text with canonical column names (table `landed`), typed and
-- checked: one row per line with a flag per check the pipeline's budget suite makes.
create or replace temp table checked as
with

typed as (
    select
        source_row,
        case
            when regexp_full_match(trim(municipality), '(?i)(gm)?[0-9]{1,4}')
                then 'GM' || lpad(regexp_extract(trim(municipality), '[0-9]+'), 4, '0')
            else trim(municipality)
        end as municipality_code,
        regexp_extract(
            upper(coalesce(nullif(trim(period), ''), trim(year) || 'Q' || regexp_replace(trim(quarter), '^[QqKk]', ''))),
            '([0-9]{4})\s*[-_/ ]?\s*[QK]([1-4])',
            ['y', 'q']
        ) as period_parts,
        regexp_replace(trim(taakveld), '^[LlBb]\s*([0-9])', '\1') as taakveld,
        regexp_replace(trim(categorie), '^[LlBb]\s*([0-9])', '\1') as categorie,
        lower(trim(kind)) as kind,
        case when lower(trim(coalesce(unit, ''))) in ('x1000', 'x 1000', 'keur', 'duizend') then 1000 else 1 end
            as factor,
        try_cast(replace(coalesce(nullif(trim(lasten), ''), '0'), ',', '.') as decimal(18, 2)) as lasten,
        try_cast(replace(coalesce(nullif(trim(baten), ''), '0'), ',', '.') as decimal(18, 2)) as baten
    from landed
),

valid_codes as (
    select municipality_code as code
    from core.dim_municipality
    where (valid_from is null or valid_from <= cast($quarter_end as date))
        and (valid_to is null or valid_to >= cast($quarter_start as date))
    union
    select old_code from core.dim_merger where effective_date > cast($quarter_start as date)
),

taakvelden as (
    select taakveld from core.dim_iv3_taakveld
    where (first_year is null or first_year <= $year) and (last_year is null or last_year >= $year)
)

select
    t.*,
    cast(t.lasten * t.factor as decimal(18, 2)) as lasten_eur,
    cast(t.baten * t.factor as decimal(18, 2)) as baten_eur,
    t.municipality_code in (select code from valid_codes) as ok_municipality,
    t.taakveld in (select taakveld from taakvelden) as ok_taakveld,
    t.categorie in (select categorie from core.dim_iv3_categorie) as ok_categorie,
    t.kind in ('begroting', 'realisatie') as ok_kind,
    t.lasten is not null and t.baten is not null as ok_amounts,
    t.period_parts.y = '' or t.period_parts.y || 'Q' || t.period_parts.q = $quarter as ok_period
from typed as t;

insert into core.fct_budget
select
    $quarter, municipality_code, taakveld, categorie, kind, lasten_eur, baten_eur, $source_file, source_row
from checked
where ok_municipality and ok_taakveld and ok_categorie and ok_kind and ok_amounts and ok_period;
