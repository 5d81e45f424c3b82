-- Validation page: one row per source × suite × expectation checked in run ?,
-- in the order the checks ran.
select
    source,
    suite,
    expectation,
    severity,
    success,
    element_count,
    unexpected_count,
    description,
    message
from meta.validation_results
where run_id = ?
order by source, suite, rowid
