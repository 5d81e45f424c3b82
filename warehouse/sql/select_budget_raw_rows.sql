-- raw.budget_lines rows of a budget store: every landed row, superseded ones included.
select quarter, source_file, source_row, run_id, row_values
from raw_rows
