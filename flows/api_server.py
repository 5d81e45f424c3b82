"""Prefect's embedded API server, started before the heavy imports instead of after them.

Without `PREFECT_API_URL`, Prefect starts a local API server for the process at its first
flow run and waits for it: about 4 s in which nothing else happens. A command that runs
flows calls `start()` first, as its first step, which launches the same server (Prefect's
own app, in its ephemeral mode) in a child process without importing Prefect, and
`adopt()` once its imports are done, which waits for the server to answer and points
Prefect at it. The server thus comes up on one core while the process imports Polars,
DuckDB, Prefect and Great Expectations on the other.

Nothing changes where an API is configured: `start()` does nothing when
`PREFECT_API_URL` is set in the environment, and `adopt()` stops the early server when
Prefect's settings (a profile, `prefect.toml`) name an API after all. If the early server
does not come up, `adopt()` stops it and leaves Prefect to start its own as before. The
server stops when the process exits, and, since it watches its parent
(`flows.server_child`), also when the process is killed without exiting (SIGKILL).
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# The environment Prefect gives its own ephemeral server: no UI, only the services an
# ephemeral server runs.
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
DEFAULT_TIMEOUT_S = 120.0


@dataclass
class EmbeddedServer:
    """One early-started API server; `url` is its API address once adopted."""

    process: subprocess.Popen[bytes] | None = None
    port: int | None = None
    url: str | None = None

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def adopt(self) -> str | None:
        """Wait for the server and make it Prefect's API; None if Prefect uses another one."""
        if self.process is None:
            return None
        from prefect.context import refresh_global_settings_context
        from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

        if PREFECT_API_URL.value():
            self.stop()
            return None
        timeout = float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value() or DEFAULT_TIMEOUT_S)
        if not self._wait_healthy(timeout):
            self.stop()
            return None
        os.environ["PREFECT_API_URL"] = self.address
        refresh_global_settings_context()
        self.url = self.address
        return self.url

    @contextmanager
    def flow_settings(self) -> Iterator[None]:
        """Flow runs on the embedded server send no heartbeats.

        Heartbeats let a lasting server notice a run that died; this server ends with the
        command, so they only delay the end of every flow run (the engine waits for its
        heartbeat thread, which sleeps in one-second steps). On any other API they stay.
        """
        if self.url is None:
            yield
            return
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield

    def _wait_healthy(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.address}/health", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def stop(self, *, refresh: bool = True) -> None:
        """Stop the server; Prefect forgets its address (not at exit, where that is moot)."""
        process, self.process = self.process, None
        if self.url is not None and os.environ.get("PREFECT_API_URL") == self.url:
            del os.environ["PREFECT_API_URL"]
            if refresh:
                from prefect.context import refresh_global_settings_context

                refresh_global_settings_context()
        self.url = None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api_configured() -> bool:
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "prefect.settings" in sys.modules:  # imported already: asking costs nothing
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    return False


def start() -> EmbeddedServer:
    """Launch the server in a child process unless an API is configured; `adopt()` it later."""
    server = EmbeddedServer()
    if _api_configured() or os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "").lower() in ("0", "false"):
        return server
    server.port = _free_port()
    command = [
        sys.executable,
        "-m",
        "flows.server_child",  # uvicorn, watching this process: it ends when this one ends
        str(os.getpid()),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(server.port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]
    server.process = subprocess.Popen(command, env={**os.environ, **SERVER_ENV}, stdin=subprocess.DEVNULL)
    atexit.register(server.stop, refresh=False)
    return server
