"""The one settings module: environment variables over a config file over defaults.

Every path lives under `COSTTRENDS_HOME` unless its own variable moves it:

    COSTTRENDS_HOME            ./data   root of everything the pipeline writes
    COSTTRENDS_LANDING_DIR     $HOME/landing
    COSTTRENDS_WAREHOUSE_PATH  $HOME/warehouse/costtrends.duckdb
    COSTTRENDS_PUBLISHED_DIR   $HOME/published
    COSTTRENDS_DOCS_DIR        $HOME/docs
    COSTTRENDS_REFERENCE_DIR   $HOME/reference (reference data `costtrends fetch` brought)
    COSTTRENDS_CONFIG          $HOME/costtrends.toml (optional; same keys, lower case)
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

if TYPE_CHECKING:
    from ingest.cbs_odata import ODataClient


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
    # A restatement that would leave a source × quarter with fewer rows or municipalities
    # than loaded is refused (the loaded partition stays, exit 3) when it loses more than
    # these shares, or everything. A true correction rarely removes more than a few rows;
    # a truncated copy, a header-only export or a file of the wrong quarter removes far
    # more. `allow_shrink` (or `--allow-shrink`) replaces such a partition on purpose.
    shrink_max_row_loss_share: float = Field(default=0.2, ge=0, le=1)
    shrink_max_municipality_loss_share: float = Field(default=0.1, ge=0, le=1)
    allow_shrink: bool = False
    # A survey response submitted later than this many hours after the run is quarantined:
    # left in, a date typed as 2031 stays the latest response over every real correction.
    # Survey tools stamp local time (up to 2 h ahead of UTC here) and clocks drift; a day
    # covers both, and no real response comes from tomorrow.
    future_submission_tolerance_hours: float = Field(default=24, ge=0)
    # The plausibility gate (expectations/plausibility.py) quarantines a survey response
    # whose digital extra spend per inhabitant is more than this many times the
    # municipality's median of the quarters loaded before. Real quarters move by tens of
    # percent and a laptop round can triple one; an amount typed ×1000 or in cents jumps
    # ×100 to ×1000. Twenty leaves a wide margin on both sides (generated demo data, whose
    # quarters vary as real ones do, reaches ×9 at most).
    plausibility_max_factor_own: float = Field(default=20, gt=1)
    # Without history: more than this many times the median of its size class in the
    # quarter. Municipalities of one class differ far more among themselves than one does
    # from quarter to quarter: a large city's laptop round reaches ×90 its class median in
    # the test corpus (×6 at most in generated demo data), while an amount typed ×1000
    # lands near ×1000. A hundred keeps a tenfold margin on both sides.
    plausibility_max_factor_class: float = Field(default=100, gt=1)
    # A size class with fewer responses than this has no median worth comparing with.
    plausibility_min_class_peers: int = Field(default=5, ge=1)
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
    # `costtrends fetch` (docs/operations.md): CBS's third-party OData service (Iv3 tables)
    # and StatLine (population), each overridable to point at a mirror or a test server.
    cbs_dataderden_url: str = "https://dataderden.cbs.nl"
    cbs_statline_url: str = "https://opendata.cbs.nl"
    # StatLine's "Regionale kerncijfers Nederland": population on 1 January per municipality.
    cbs_population_table: str = "70072ned"
    # Which amount of an Iv3 table lands: CBS places a period's figures twice, as delivered
    # and then with improved versions (docs/operations.md); `latest` takes the second
    # placement once CBS has made it. Naming a column pins it.
    cbs_iv3_amount_column: Literal["latest", "k_1ePlaatsing_1", "k_2ePlaatsing_2"] = "latest"
    # A page of 10,000 rows takes CBS seconds to build, a busy afternoon far longer: a
    # minute per request, then up to four more tries 1, 2, 4 and 8 s apart.
    cbs_timeout_seconds: float = Field(default=60, gt=0)
    cbs_retries: int = Field(default=4, ge=0)
    cbs_backoff_seconds: float = Field(default=1.0, ge=0)
    # Where fetched reference data lands (population_<year>.csv); the seeds stay the default.
    reference_dir: Path | None = None

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

    @cached_property
    def fetched_reference(self) -> Path:
        return self.reference_dir or self.home / "reference"

    @property
    def snapshot(self) -> Path:
        return self.published / "costtrends.duckdb"

    def cbs_client(self, base_url: str) -> ODataClient:
        """A client for `cbs_dataderden_url` or `cbs_statline_url` with these timeouts and retries."""
        from ingest.fetch import cbs_client

        return cbs_client(
            base_url,
            timeout=self.cbs_timeout_seconds,
            retries=self.cbs_retries,
            backoff=self.cbs_backoff_seconds,
        )


def get_settings(**overrides: Any) -> Settings:
    """Fresh settings from the environment (read at call time, so tests can set variables)."""
    return Settings(**overrides)
