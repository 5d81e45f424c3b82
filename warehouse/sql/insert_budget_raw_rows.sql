-- raw.budget_lines rows of a budget store (attached as budget_store): every landed row,
-- superseded ones included, its values as read (the store's struct, field for field).
insert into raw.budget_lines by name
select quarter, source_file, source_row, run_id, row_values
from budget_store.raw_rows
