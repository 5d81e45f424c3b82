"""The one settings module: environment variables over a config file over defaults.

Every path lives under `COSTTRENDS_HOME` unless its own variable moves it:

    COSTTRENDS_HOME            ./data   root of everything the pipeline writes
    COSTTRENDS_LANDING_DIR     $HOME/landing
    COSTTRENDS_WAREHOUSE_PATH  $HOME/warehouse/costtrends.duckdb
    COSTTRENDS_PUBLISHED_DIR   $HOME/published
    COSTTRENDS_DOCS_DIR        $HOME/docs
    COSTTRENDS_CONFIG          $HOME/costtrends.toml (optional; same keys, lower case)
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


def _config_file_values() -> dict[str, Any]:
    """Values from the optional TOML config file, found through the environment only."""
    explicit = os.environ.get("COSTTRENDS_CONFIG")
    home = Path(os.environ.get("COSTTRENDS_HOME", "data"))
    path = Path(explicit) if explicit else home / "costtrends.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return _config_file_values()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COSTTRENDS_", extra="ignore")

    home: Path = Path("data")
    landing_dir: Path | None = None
    warehouse_path: Path | None = None
    published_dir: Path | None = None
    docs_dir: Path | None = None
    # Marts put every figure on the municipal boundaries of this date; None means the
    # register's current boundaries, so trends stay comparable across mergers.
    boundary_date: str | None = None
    # Snapshot storage version: BI drivers bundle older DuckDB releases, and v1.0.0
    # is the newest format that DuckDB 1.1 clients still open (0.10.3 is the oldest that reads it).
    snapshot_storage_version: str = "v1.0.0"
    # Seed of the national estimate's bootstrap, so its range is reproducible.
    estimate_seed: int = 20200401
    estimate_bootstrap_samples: int = Field(default=1000, ge=50)
    # Plausibility bounds of the validation suites (docs/validation.md). National figures
    # to judge them by: municipalities spent about €3.5–5.5 million extra on digitalisation
    # in one quarter, some €0.25 per inhabitant, and employ roughly 8 FTE per 1,000.
    # One survey amount above this is a warning: more than one municipality plausibly
    # spends on one category in a quarter, yet possible for the largest, so not an error.
    plausible_amount_max_eur: float = Field(default=5_000_000, gt=0)
    # One survey amount above this many euros per inhabitant quarantines the row. The
    # smallest municipality (about 1,000 inhabitants) buying a €1,500 laptop for each of
    # 50 staff spends €75 per inhabitant; an amount typed in cents or with three zeros too
    # many lands far above €250, a sound one far below.
    amount_per_inhabitant_max_eur: float = Field(default=250, gt=0)
    # FTE per 1,000 inhabitants outside this band is a warning. The smallest municipalities
    # keep a full town hall for few inhabitants and reach several times the usual 8, so 60
    # leaves room for them; those whose staff work in a shared service organisation report
    # few FTE of their own, yet below 1 FTE is more likely a unit or typing error.
    fte_per_1000_min: float = Field(default=1, ge=0)
    fte_per_1000_max: float = Field(default=60, gt=0)
    # Drift warnings against the previous loaded quarter: respondents or budget lines down
    # by more than this share (a wave losing half its respondents usually lost a file) ...
    drift_max_drop_share: float = Field(default=0.5, gt=0, lt=1)
    # ... and a municipality's digital spend per inhabitant changing by more than this
    # factor either way (real quarters move by tens of percent; tenfold is a unit error).
    drift_max_change_factor: float = Field(default=10, gt=1)
    # Where a backfill ingests, validates and transforms quarters concurrently: threads
    # (polars and DuckDB release the GIL), processes, or a Dask cluster via prefect-dask
    # (dask_address, or a temporary local cluster of `concurrency` worker processes).
    task_runner: Literal["threads", "processes", "dask"] = "threads"
    dask_address: str | None = None
    # Quarters prepared at once; two keeps a two-core machine busy while one quarter is written.
    concurrency: int = Field(default=2, ge=1)
    # How long a writer waits for another one's turn on the warehouse. A turn is one
    # quarter's load and marts, or a publish: seconds at demo scale, minutes at national.
    lock_timeout_seconds: float = Field(default=900, gt=0)
    # A landing file modified less than this many seconds ago may still be being written:
    # ingest waits until it is this old and reads it only if its size and mtime held still;
    # otherwise it is deferred to a retry or the next run (docs/operations.md). 0 turns it off.
    landing_settle_seconds: float = Field(default=1.0, ge=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TomlSource(settings_cls)

    @cached_property
    def landing(self) -> Path:
        return self.landing_dir or self.home / "landing"

    @cached_property
    def warehouse(self) -> Path:
        return self.warehouse_path or self.home / "warehouse" / "costtrends.duckdb"

    @cached_property
    def published(self) -> Path:
        return self.published_dir or self.home / "published"

    @cached_property
    def docs(self) -> Path:
        return self.docs_dir or self.home / "docs"

    @property
    def snapshot(self) -> Path:
        return self.published / "costtrends.duckdb"


def get_settings(**overrides: Any) -> Settings:
    """Fresh settings from the environment (read at call time, so tests can set variables)."""
    return Settings(**overrides)
