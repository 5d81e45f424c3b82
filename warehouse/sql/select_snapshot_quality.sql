-- meta.data_quality in the BI snapshot.
-- One row per quarter × source currently loaded: the files and row accounting of the run that
-- loaded it, and how many municipalities it holds (survey: current responses; budget: lines).
with

files as (
    select f.*
    from meta.ingested_files as f
    inner join meta.partitions as p
        on p.run_id = f.run_id and p.source = f.source and p.quarter = f.quarter
),

accounted as (
    select
        quarter,
        source,
        count(*) as files,
        count(*) filter (where status = 'rejected') as rejected_files,
        sum(rows_read) as rows_read,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined
    from files
    group by all
),

reporting as (
    select quarter, 'survey' as source, count(distinct municipality_code) as municipalities
    from core.fct_survey_response
    where not is_superseded
    group by all
    union all
    select quarter, 'budget' as source, count(distinct municipality_code) as municipalities
    from core.fct_budget
    group by all
),

final as (
    select
        a.quarter,
        a.source,
        cast(a.files as integer) as files,
        cast(a.rejected_files as integer) as rejected_files,
        cast(a.rows_read as bigint) as rows_read,
        cast(a.rows_loaded as bigint) as rows_loaded,
        cast(a.rows_quarantined as bigint) as rows_quarantined,
        cast(coalesce(r.municipalities, 0) as integer) as municipalities
    from accounted as a
    left join reporting as r on r.quarter = a.quarter and r.source = a.source
)

select * from final
order by quarter, source
