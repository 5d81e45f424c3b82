"""The validation gate: Great Expectations suites kept as code, run on DuckDB tables.

- `expectations.suites`: what is checked per source (survey, budget), one named check per
  expectation, each an error (the row is quarantined) or a warning (the row is flagged).
- `expectations.gate`: runs a suite on a DuckDB table and splits the outcome into failing
  rows, warned rows and batch-level errors.
- `expectations.gx_duckdb`: GX's SQL execution engine on a DuckDB database file.
"""

import os

# Usage statistics stay off even where no context config says so: the pipeline runs
# without network access. Set before anything in this package imports GX.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
