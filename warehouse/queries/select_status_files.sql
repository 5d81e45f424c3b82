-- One row per quarter × source currently loaded: files and row accounting of the run that loaded it.
select
    f.quarter,
    f.source,
    count(*) as files,
    count(*) filter (where f.status = 'rejected') as rejected_files,
    sum(f.rows_read) as rows_read,
    sum(f.rows_loaded) as rows_loaded,
    sum(f.rows_quarantined) as rows_quarantined
from meta.ingested_files as f
inner join meta.partitions as p
    on p.run_id = f.run_id and p.source = f.source and p.quarter = f.quarter
group by all
order by f.quarter, f.source
