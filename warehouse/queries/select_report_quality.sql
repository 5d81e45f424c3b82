-- Report: data quality per quarter, both sources together. One row per quarter.
select
    quarter,
    cast(sum(files) as integer) as files,
    cast(sum(rejected_files) as integer) as rejected_files,
    cast(sum(rows_read) as bigint) as rows_read,
    cast(sum(rows_loaded) as bigint) as rows_loaded,
    cast(sum(rows_quarantined) as bigint) as rows_quarantined,
    cast(sum(rows_quarantined) filter (where source = 'survey') as bigint) as survey_rows_quarantined,
    cast(sum(rows_quarantined) filter (where source = 'budget') as bigint) as budget_rows_quarantined,
    cast(sum(municipalities) filter (where source = 'survey') as integer) as respondents,
    cast(sum(municipalities) filter (where source = 'budget') as integer) as budget_municipalities
from meta.data_quality
group by quarter
order by quarter
