"""Environment defaults of costtrends for Prefect and Great Expectations, set by each entry point.

No network here or at most users' sites: analytics and telemetry are off unless the
environment says otherwise. The CLI applies them as it starts (before any command
imports Prefect, and before the embedded API server inherits the environment), the
flows at their entry and `flows.deployments` before serving, for runs started another
way. Importing a costtrends module changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    # Great Expectations reads this when it is imported; its context config says the same.
    "GX_ANALYTICS_ENABLED": "false",
    # The ephemeral server's first start can take 20 s on a busy machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def set_defaults(environ: MutableMapping[str, str]) -> None:
    """Set every default `environ` does not set already."""
    for name, value in DEFAULTS.items():
        environ.setdefault(name, value)


def offline_defaults() -> None:
    """Telemetry and analytics off in this process (and the processes it starts), unless set otherwise."""
    set_defaults(os.environ)
