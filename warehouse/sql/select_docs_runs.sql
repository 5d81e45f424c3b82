-- Validation index: one row per run × quarter with validation results, and whether the
-- run's data is what is loaded now (for some source).
select
    v.run_id,
    v.quarter,
    bool_or(p.run_id is not null) as is_current
from meta.validation_results as v
left join meta.partitions as p
    on p.run_id = v.run_id and p.source = v.source and p.quarter = v.quarter
group by v.run_id, v.quarter
order by v.quarter, v.run_id
