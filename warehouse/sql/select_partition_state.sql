-- One row per source × quarter loaded: the inputs and code it was loaded from, and whether
-- the run that loaded it finished (a run writes its meta.runs row after the marts).
select
    p.quarter,
    p.source,
    p.source_hashes,
    p.code_version,
    exists (
        select 1
        from meta.runs as r
        where r.run_id = p.run_id and r.status in ('clean', 'partial')
    ) as is_finished
from meta.partitions as p
order by p.quarter, p.source
