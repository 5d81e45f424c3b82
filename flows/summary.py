"""What a refresh reports: per quarter, what was done to it and why (plain data, no Prefect).

The flows build these, `flows.artifacts` shows them in Prefect and the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sources.base import FileReport


class RefreshFailed(RuntimeError):
    """A quarter could not be refreshed; the quarters before it were written."""


@dataclass
class Written:
    """What a write did: rows now in the marts' window, and the partitions it refused to shrink."""

    marts_changed: dict[str, int]
    # source → why its partition was not replaced
    refused: dict[str, str] = field(default_factory=dict)
    # Failed warning-level checks of what was loaded, one line each.
    warnings: list[str] = field(default_factory=list)


@dataclass
class RefreshSummary:
    """What one quarter's refresh did; `status` is clean, partial, refused, skipped, failed or not reached."""

    quarter: str
    run_id: str
    files: list[FileReport] = field(default_factory=list)
    marts_changed: dict[str, int] = field(default_factory=dict)
    snapshot: str | None = None
    failed_checks: list[str] = field(default_factory=list)
    # The run's validation page (static HTML under the docs folder).
    docs: str | None = None
    # Why the quarter was redone (see warehouse.incremental); None: skipped as unchanged.
    reason: str | None = "requested"
    # Set when the quarter was not refreshed: "failed", or "not reached" after a failure.
    outcome: str | None = None
    error: str | None = None
    # A refresh also redoes loaded quarters whose files were restated.
    also_refreshed: list[RefreshSummary] = field(default_factory=list)
    # Partitions left as loaded because the landing files would have shrunk them (one line each).
    refused: list[str] = field(default_factory=list)
    # Failed warning-level checks (drift, plausibility warnings), one line each.
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def status(self) -> str:
        if self.outcome is not None:
            return self.outcome
        if self.refused:
            return "refused"
        if self.reason is None:
            return "skipped"
        if any(f.status != "loaded" for f in self.files):
            return "partial"
        return "clean"
