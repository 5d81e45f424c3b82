"""Canonical column names and categories shared by readers, transforms and marts."""

from __future__ import annotations

COST_CATEGORIES: tuple[str, ...] = (
    "hardware",
    "software_licences",
    "ict_support",
    "security",
    "other",
    "office_savings",
)
DIGITAL_CATEGORIES: tuple[str, ...] = COST_CATEGORIES[:-1]
AMOUNT_COLUMNS: tuple[str, ...] = tuple(f"{c}_eur" for c in COST_CATEGORIES)
PERCENT_COLUMNS: tuple[str, ...] = ("remote_share_now_pct", "remote_share_expected_pct")

SURVEY_COLUMNS: tuple[str, ...] = (
    "response_id",
    "submitted_at",
    "municipality",
    "period",
    "fte",
    *PERCENT_COLUMNS,
    *AMOUNT_COLUMNS,
    "is_preview",
)
# A file without one of these is rejected whole; the others may be absent.
SURVEY_REQUIRED: tuple[str, ...] = ("municipality", *AMOUNT_COLUMNS)

# Personal data: dropped by the readers before anything is stored or logged.
PERSONAL_COLUMNS: tuple[str, ...] = (
    "respondent_name",
    "respondent_email",
    "respondent_phone",
    "ip_address",
    "comment",
)

BUDGET_COLUMNS: tuple[str, ...] = (
    "municipality",
    "period",
    "year",
    "quarter",
    "taakveld",
    "categorie",
    "kind",
    "lasten",
    "baten",
    "unit",
)
BUDGET_REQUIRED: tuple[str, ...] = (
    "municipality",
    "taakveld",
    "categorie",
    "kind",
    "lasten",
    "baten",
)
BUDGET_KINDS: tuple[str, ...] = ("begroting", "realisatie")

LINEAGE_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "run_id")
