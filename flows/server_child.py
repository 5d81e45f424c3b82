"""Prefect's API server as a child process that ends when its parent does.

`api_server.start()` runs ``python -m flows.server_child <parent pid> <uvicorn arguments>``.
A thread here watches the parent: once this process has another parent (the command
ended, even by SIGKILL, which runs no exit handler), the server is stopped as by Ctrl+C
(SIGTERM: uvicorn shuts down cleanly and frees its port), and ended outright if that
takes longer than `GRACE_S`. So no server outlives the command that started it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

WATCH_INTERVAL_S = 0.5
GRACE_S = 10.0


def watch_parent(parent: int, *, interval: float = WATCH_INTERVAL_S) -> None:
    """Return once `parent` is no longer this process's parent."""
    while os.getppid() == parent:
        time.sleep(interval)


def _end_with(parent: int) -> None:
    watch_parent(parent)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_S)
    os._exit(1)


def main() -> None:
    parent = int(sys.argv[1])
    threading.Thread(target=_end_with, args=(parent,), name="watch-parent", daemon=True).start()
    from uvicorn.main import main as uvicorn_main

    sys.argv = ["uvicorn", *sys.argv[2:]]
    uvicorn_main()


if __name__ == "__main__":
    main()
