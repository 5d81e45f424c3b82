"""The bounds that decide plausibility and drift: plain numbers, no Great Expectations.

Used by the suites (`expectations.suites`), the drift checks (`expectations.drift`) and
whoever configures them (`flows.settings`, `sources`), most of which never validate: so
importing `Bounds` costs nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    """Plausibility and drift bounds; `flows.settings` holds the defaults and why.

    amount_max_eur: one survey amount above it is a warning.
    amount_per_inhabitant_max_eur: one survey amount per inhabitant above it is an error.
    fte_per_1000_min / fte_per_1000_max: FTE per 1,000 inhabitants outside is a warning.
    drift_max_drop_share: respondents or budget lines down by more than this share of the
        previous quarter's is a warning.
    drift_max_change_factor: a municipality's digital spend per inhabitant changing by more
        than this factor quarter on quarter is a warning.
    """

    amount_max_eur: float
    amount_per_inhabitant_max_eur: float
    fte_per_1000_min: float
    fte_per_1000_max: float
    drift_max_drop_share: float
    drift_max_change_factor: float

    def __post_init__(self) -> None:
        # The bounds are written into SQL as number literals: only finite numbers pass.
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"bound {name} must be a finite number, got {value!r}")
            if value < 0:
                raise ValueError(f"bound {name} must not be negative, got {value!r}")
        if self.fte_per_1000_min > self.fte_per_1000_max:
            raise ValueError("fte_per_1000_min is above fte_per_1000_max")
        if not 0 < self.drift_max_drop_share < 1:
            raise ValueError("drift_max_drop_share must lie between 0 and 1")
        if self.drift_max_change_factor <= 1:
            raise ValueError("drift_max_change_factor must be above 1")
