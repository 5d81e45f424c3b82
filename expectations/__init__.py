"""The validation gate: Great Expectations suites kept as code, run on DuckDB tables.

- `expectations.suites`: what is checked per source (survey, budget), one named check per
  expectation, each an error (the row is quarantined) or a warning (the row is flagged).
- `expectations.gate`: runs a suite on a DuckDB table and splits the outcome into failing
  rows, warned rows and batch-level errors.
- `expectations.gx_duckdb`: GX's SQL execution engine on a DuckDB database file.
- `expectations.bounds`: the plausibility and drift bounds, a plain type.

Great Expectations is imported when a suite is built or a validation runs, never when a
module of this package is imported, except the three that define GX classes
(`gx_duckdb`, `code_sets`, `patterns`), which only a validation imports.

Great Expectations' usage statistics are off by the context's own configuration
(`expectations.gx_duckdb`), and by `GX_ANALYTICS_ENABLED=false`, which the entry points
set (`flows.environment`): importing this package changes nothing.
"""
