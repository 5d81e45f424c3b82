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
from typing import Any

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
    # is the newest format that DuckDB 1.1 clients still open.
    snapshot_storage_version: str = "v1.0.0"
    # Seed of the national estimate's bootstrap, so its range is reproducible.
    estimate_seed: int = 20200401
    estimate_bootstrap_samples: int = Field(default=1000, ge=50)

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
