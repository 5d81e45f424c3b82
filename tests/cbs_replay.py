"""A local stand-in for CBS's OData services: replays recorded responses from tests/data/cbs/.

A scenario folder holds `manifest.json`, a list of routes
`{"path": "/ODataCatalog/Tables", "query": {"$format": "json", ...}, "file": "catalogue.json"}`,
and the response bodies. A request matches a route on its path and its decoded query
parameters (order does not matter). `{{base}}` in a body becomes the server's own root,
so recorded `odata.nextLink`s lead back to it. Anything unmatched is a 404 naming the request.

Faults for a test: `fail(path, status=500, times=1)` answers the next `times` requests
whose path ends with `path` (and whose query contains `query_contains`, if given) with
that status; `stall(path, seconds=..., times=1)` waits before answering, past a client's
timeout. The server binds 127.0.0.1 only, on a free port; serves at most
`max_requests` requests (then 503s); waits at most `max_stall` seconds in a stall; and
shuts itself down after `lifetime` seconds if the test never stops it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

DATA = Path(__file__).resolve().parent / "data" / "cbs"


@dataclass
class _Fault:
    path: str
    status: int | None
    seconds: float
    times: int | None
    query_contains: str | None = None
    used: int = 0

    def applies(self, path: str, query: str) -> bool:
        if not path.endswith(self.path) or (self.query_contains and self.query_contains not in query):
            return False
        return self.times is None or self.used < self.times


@dataclass
class ReplayServer:
    scenario: Path
    max_requests: int = 500
    max_stall: float = 10.0
    lifetime: float = 300.0
    requests: list[str] = field(default_factory=list)
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        manifest = json.loads((self.scenario / "manifest.json").read_text("utf-8"))
        self._routes = {
            (route["path"], frozenset(route.get("query", {}).items())): route for route in manifest["routes"]
        }
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._stopped = False

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def fail(
        self, path: str, *, status: int = 500, times: int | None = 1, query_contains: str | None = None
    ) -> None:
        self._faults.append(_Fault(path, status, 0.0, times, query_contains))

    def stall(self, path: str, *, seconds: float, times: int | None = 1) -> None:
        self._faults.append(_Fault(path, None, min(seconds, self.max_stall), times))

    def start(self) -> ReplayServer:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _answer(self, raw_path: str) -> tuple[int, bytes, float]:
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append(raw_path)
            if len(self.requests) > self.max_requests:
                return 503, b'{"error": "replay request budget used up"}', 0.0
            fault = next((f for f in self._faults if f.applies(parts.path, parts.query)), None)
            if fault is not None:
                fault.used += 1
        if fault is not None and fault.status is not None:
            return fault.status, b'{"odata.error": {"message": {"value": "replayed fault"}}}', 0.0
        delay = fault.seconds if fault is not None else 0.0
        route = self._routes.get((parts.path, frozenset(query.items())))
        if route is None:
            return 404, json.dumps({"error": f"no recorded response for {raw_path}"}).encode(), delay
        body = (self.scenario / route["file"]).read_text("utf-8").replace("{{base}}", self.url)
        return int(route.get("status", 200)), body.encode("utf-8"), delay

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 30  # a client that stops talking does not hold a thread for longer

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                status, body, delay = server._answer(self.path)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        return Handler
