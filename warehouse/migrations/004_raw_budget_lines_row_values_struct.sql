-- applies when: select count(*) > 0 from information_schema.columns where table_schema = 'raw' and table_name = 'budget_lines' and column_name = 'row_values' and data_type = 'JSON'
-- A change to a table of a warehouse that already exists; run after warehouse/ddl/ on every
-- connection, in number order, and harmless when already applied. This one rewrites the
-- table, so it runs only while it is needed: the `applies when` line above
-- (warehouse.db.connect) finds row_values still JSON.

-- raw.budget_lines.row_values: JSON text → the struct of warehouse/ddl/1_raw.sql, one text
-- field per budget column. A key a file did not have becomes NULL. A key that is no field of
-- the struct, a value that is not text, or a row that is not a JSON object would be lost or
-- changed by the conversion: then nothing is converted and the connection fails, naming the
-- first such row.
with

entries as (
    select
        source_file,
        source_row,
        json_type(row_values) as row_type,
        unnest(
            case when json_type(row_values) = 'OBJECT' then map_entries(row_values::map(varchar, json)) end
        ) as entry
    from raw.budget_lines
),

problems as (
    select source_file, source_row, 'row_values is a JSON ' || json_type(row_values) || ', not an object' as problem
    from raw.budget_lines
    where json_type(row_values) <> 'OBJECT'
    union all
    select source_file, source_row, 'key "' || entry.key || '" is no field of the struct' as problem
    from entries
    where entry.key not in (
        'municipality', 'period', 'year', 'quarter', 'taakveld', 'categorie', 'kind', 'lasten', 'baten', 'unit'
    )
    union all
    select
        source_file,
        source_row,
        'key "' || entry.key || '" holds a JSON ' || json_type(entry.value) || ', not text' as problem
    from entries
    where coalesce(json_type(entry.value), 'NULL') not in ('VARCHAR', 'NULL')
)

select error(
    'raw.budget_lines: row_values cannot become a struct without losing values ('
    || count(*) || ' problem(s); the first: '
    || arg_min(source_file || ' row ' || source_row || ': ' || problem, (source_file, source_row, problem))
    || '). Nothing was converted. Move those values out of raw.budget_lines, or add the field to '
    || 'warehouse/ddl/1_raw.sql and to warehouse/migrations/004_raw_budget_lines_row_values_struct.sql, '
    || 'then connect again.'
)
from problems
having count(*) > 0;

alter table raw.budget_lines alter row_values set data type struct(
    municipality varchar,
    period varchar,
    year varchar,
    quarter varchar,
    taakveld varchar,
    categorie varchar,
    kind varchar,
    lasten varchar,
    baten varchar,
    unit varchar
) using json_transform(
    row_values,
    '{"municipality": "VARCHAR", "period": "VARCHAR", "year": "VARCHAR", "quarter": "VARCHAR",
      "taakveld": "VARCHAR", "categorie": "VARCHAR", "kind": "VARCHAR", "lasten": "VARCHAR",
      "baten": "VARCHAR", "unit": "VARCHAR"}'
);
