"""A test hook: stop the process at a named point, as a crash or `kill -9` would.

Set `COSTTRENDS_FAULT_POINT` to a point's name (`ingest:after_read`, `load:after_delete`,
`write:between_sources`, `publish:before_rename`) and the process kills itself with SIGKILL
when it gets there.
With `COSTTRENDS_FAULT_ACTION=pause` it instead writes `<COSTTRENDS_FAULT_MARKER>` (the
point's name) and sleeps, for a test to kill it from outside. Unset, a point does nothing.
Used by tests/flows/test_crash_safety.py; never set in production.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def fault_point(name: str) -> None:
    """Die (or pause) here when `COSTTRENDS_FAULT_POINT` names this point."""
    if os.environ.get("COSTTRENDS_FAULT_POINT") != name:
        return
    if os.environ.get("COSTTRENDS_FAULT_ACTION") == "pause":
        marker = os.environ.get("COSTTRENDS_FAULT_MARKER")
        if marker:
            Path(marker).write_text(name, encoding="utf-8")
        while True:
            time.sleep(1)
    os.kill(os.getpid(), signal.SIGKILL)
