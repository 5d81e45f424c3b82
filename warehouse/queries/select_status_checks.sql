-- One row per quarter × source × check that failed in the run that loaded the partition:
-- errors (rows quarantined, or the file rejected) and warnings (rows loaded, reported),
-- with what the check found in words where its counts do not say it.
select
    v.quarter,
    v.source,
    v.expectation,
    v.severity,
    v.unexpected_count,
    v.message
from meta.validation_results as v
inner join meta.partitions as p
    on p.run_id = v.run_id and p.source = v.source and p.quarter = v.quarter
where not v.success
order by v.quarter, v.source, v.severity, v.expectation
