"""The DuckDB warehouse: DDL, loads, marts and the published BI snapshot."""
