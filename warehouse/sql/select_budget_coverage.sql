-- One row per budget file × municipality × kind it reports, with its number of lines:
-- what `transforms.budget.settle_restatements` decides current and superseded lines from.
select
    source_file,
    municipality_code,
    kind,
    count(*) as lines
from staged
where municipality_code is not null and kind is not null
group by all
order by all
