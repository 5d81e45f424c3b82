"""CBS's OData v3 services: StatLine (opendata.cbs.nl) and third-party tables (dataderden.cbs.nl).

The I/O edge of `costtrends fetch`: catalogue look-ups, dimensions and data sets as lists
of JSON records. Everything a fetched record becomes is decided in `transforms/cbs.py`.

Why not `cbsodata` (PyPI, 1.3.5): it can be pointed at another host (`catalog_url`), and
it passes `timeout` on to requests and follows `odata.nextLink`, but it has no retries,
and it opens a new `requests.Session` for every page, so no retrying adapter can be
mounted on it: one 500 on page 30 of a 40-page table fails the whole fetch, and retrying
around it starts again at page 1. Its scheme is a module-wide switch (`options.use_https`),
shared by every thread of a process. docs/operations.md, "Fetching from CBS", has the
details and the measurement.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError, ResponseError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

# Statuses worth asking again: the service is busy or a gateway in front of it failed.
RETRY_STATUSES = (429, 500, 502, 503, 504)
# A table of every municipality's Iv3 lines runs to some 100 pages of 10,000 rows; a
# nextLink chain far longer than that is a server repeating itself.
MAX_PAGES = 10_000


class CbsError(RuntimeError):
    """CBS answered, but not with what was asked for (an error status, no JSON, no such table)."""


class CbsUnreachable(CbsError):
    """CBS could not be reached, or kept timing out, after every retry."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _reason(exc: BaseException, timeout: float) -> str:
    """Why a request failed, in a few words (requests wraps urllib3's reason in its own errors)."""
    reason: object = exc
    if exc.args and isinstance(exc.args[0], MaxRetryError):
        reason = exc.args[0].reason
    if isinstance(reason, NewConnectionError) and "timed out" not in str(reason).lower():
        return "connection refused" if "refused" in str(reason).lower() else "no connection"
    if isinstance(reason, (Urllib3Timeout, TimeoutError, requests.Timeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ResponseError):
        return "it kept answering with an error status"
    return type(reason).__name__


@dataclass
class ODataClient:
    """GET JSON from one OData service root, with retries, backoff and a timeout per request.

    `base_url` is the service's root (`https://dataderden.cbs.nl`). A request is tried
    `1 + retries` times on connection errors, timeouts and the statuses in
    `RETRY_STATUSES`, waiting `backoff × 2^(n-1)` seconds before try n+1 (or what a
    Retry-After header says).
    """

    base_url: str
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 1.0
    requests_made: int = field(default=0, init=False)
    _session: requests.Session | None = field(default=None, init=False, repr=False)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            retry = Retry(
                total=self.retries,
                connect=self.retries,
                read=self.retries,
                status=self.retries,
                backoff_factor=self.backoff,
                status_forcelist=RETRY_STATUSES,
                allowed_methods=frozenset({"GET"}),
                raise_on_status=False,
            )
            session = requests.Session()
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["Accept"] = "application/json"
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One GET, retried as the class says; a one-line `CbsError` if it still fails."""
        host = urlsplit(url).netloc or url
        self.requests_made += 1
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise CbsUnreachable(
                f"CBS at {host} cannot be reached: {_reason(exc, self.timeout)}, {self.retries + 1} tries"
            ) from exc
        if response.status_code >= 400:
            retried = " after retries" if response.status_code in RETRY_STATUSES else ""
            raise CbsError(
                f"CBS at {host} answered HTTP {response.status_code}{retried} for {_one_line(response.url)}"
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise CbsError(f"CBS at {host} sent no JSON for {_one_line(response.url)}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise CbsError(f"CBS at {host} sent JSON without a 'value' list for {_one_line(response.url)}")
        return body

    def pages(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """The `value` list of every page, following `odata.nextLink` until there is none."""
        query = {"$format": "json", **(params or {})}
        url: str | None = self.url(path)
        seen: set[str] = set()
        pages = 0
        while url is not None:
            body = self.get_json(url, query)
            yield body["value"]
            pages += 1
            next_link = body.get("odata.nextLink")
            # The next link carries every query option of the request it continues.
            url, query = (str(next_link), {}) if next_link else (None, {})
            if url is not None and (url in seen or pages >= MAX_PAGES):
                raise CbsError(f"CBS repeats its next page link after {pages} pages: {url}")
            if url is not None:
                seen.add(url)

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every record of a feed, all pages joined in the order CBS sent them."""
        return [record for page in self.pages(path, params) for record in page]

    def catalogue(self) -> list[dict[str, Any]]:
        """The service's table list: one record per table (`Identifier`, `Title`, `Modified`, ...)."""
        return self.get_all("ODataCatalog/Tables", {"$select": "Identifier,Title,Modified"})

    def dimension(self, table_id: str, name: str) -> list[dict[str, Any]]:
        """A dimension of a table: one record per key (`Key`, `Title`, ...)."""
        return self.get_all(f"ODataFeed/odata/{table_id}/{name}")

    def typed_data(
        self, table_id: str, *, filter_: str | None = None, select: list[str] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The table's `TypedDataSet`, page by page (CBS sends at most 10,000 rows a page)."""
        params: dict[str, str] = {}
        if filter_:
            params["$filter"] = filter_
        if select:
            params["$select"] = ",".join(select)
        return self.pages(f"ODataFeed/odata/{table_id}/TypedDataSet", params)


def odata_string(value: str) -> str:
    """An OData string literal: quoted, a quote inside doubled."""
    return "'" + value.replace("'", "''") + "'"
