"""Moved to `sources.budget`; these names stay importable from here until callers move."""

from sources.base import StoredRows as StoredRows
from sources.budget import BudgetStore as BudgetStore
from sources.budget import ingest as ingest
from sources.budget import year_to_date_inputs as year_to_date_inputs
