-- One row per quarter × source × check that failed in the run that loaded the partition.
select
    v.quarter,
    v.source,
    v.expectation,
    v.severity,
    v.unexpected_count
from meta.validation_results as v
inner join meta.partitions as p
    on p.run_id = v.run_id and p.source = v.source and p.quarter = v.quarter
where not v.success
order by v.quarter, v.source, v.severity, v.expectation
