"""Page-number pagination as Wistia does it: bare JSON arrays, no totals, the end is a short or empty page.

Rules: start at page 1; always send `per_page` (Wistia silently defaults to 10, so a reader that assumed
100 would stop after the first "short" page and miss 90% of the data); refuse to go past `max_pages`
full pages, because stopping there silently would land an incomplete table.

A short page ends a scan only when the page size the server really serves is known, because a server
may serve fewer rows than `per_page` asks (Wistia's newer API serves a fixed 10) and then every page is
"short". What a client has seen is kept per path in `ServedSizes`: a page shorter than one the server
already served is the end; a short first page of an unknown path is confirmed with one more request
(empty: it was the end; not empty: the server's page size is learnt and the scan goes on in its pages).
So a scan costs at most one request more than the obvious loop, and none once the size is known.

Slow pages: the fetcher may shrink a `PageRequest` (half the rows, same place in the list) when a page
timed out or answered slowly; full pages of 100 events have been seen to time out where 50 do not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from wistia_ingest.config import MAX_PER_PAGE
from wistia_ingest.errors import MalformedResponseError, PaginationLimitError

Page = list[dict[str, Any]]
RESERVED_PARAMS = frozenset({"page", "per_page"})
MIN_SHRUNK_PAGE = 25
"""A slow page is asked again at half the rows, down to this many (100 -> 50 -> 25)."""


@dataclass
class PageRequest:
    """The next page: the rows already read before it, the rows asked, and the size the server numbers
    its pages by (`per_page`, or the smaller size it was found to serve)."""

    offset: int
    size: int
    unit: int
    slow: bool = False
    """Set by the fetcher when the page answered slowly: the rest of the scan asks smaller pages."""

    @property
    def number(self) -> int:
        return self.offset // self.unit + 1

    def params(self) -> dict[str, int]:
        return {"page": self.number, "per_page": self.size}

    def shrink(self) -> bool:
        """Ask half the rows from the same place; False when the page cannot get smaller."""
        if self.size % 2 or self.size // 2 < MIN_SHRUNK_PAGE or self.unit < self.size:
            return False  # a server that serves fewer rows than asked is not slowed by what we ask
        self.size //= 2
        self.unit = self.size
        return True


FetchPage = Callable[[str, dict[str, Any], PageRequest], Page]


@dataclass
class ServedSizes:
    """What a client has learnt, per path, of the page sizes the server serves."""

    largest: dict[str, int] = field(default_factory=dict)
    """The most rows one page of the path held: the server serves at least this many when it has them."""
    capped: dict[str, int] = field(default_factory=dict)
    """The path serves this many rows a page whatever `per_page` asks (learnt by a confirmation)."""

    def unit(self, path: str, per_page: int) -> int:
        return min(per_page, self.capped.get(path, per_page))

    def saw(self, path: str, rows: int) -> None:
        self.largest[path] = max(self.largest.get(path, 0), rows)


def iter_pages(
    fetch_page: FetchPage,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    per_page: int,
    max_pages: int,
    sizes: ServedSizes | None = None,
) -> Iterator[Page]:
    """Every page of `path` in order. `fetch_page(path, params, request)` returns one validated page.

    Arguments are checked now (ValueError); pages are fetched lazily. The iterator raises
    PaginationLimitError once `max_pages` full pages have been yielded and more may remain.
    """
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
    if max_pages < 1:
        raise ValueError(f"max_pages must be at least 1, got {max_pages}")
    base = dict(params or {})
    clash = RESERVED_PARAMS & base.keys()
    if clash:
        raise ValueError(f"iter_pages sets {sorted(clash)} itself; pass per_page=/max_pages= instead")
    served = sizes if sizes is not None else ServedSizes()
    return _pages(fetch_page, path, base, per_page=per_page, max_pages=max_pages, sizes=served)


def _pages(
    fetch_page: FetchPage,
    path: str,
    base: dict[str, Any],
    *,
    per_page: int,
    max_pages: int,
    sizes: ServedSizes,
) -> Iterator[Page]:
    request = PageRequest(offset=0, size=per_page, unit=sizes.unit(path, per_page))
    confirming: Page | None = None  # the short page a confirmation request is asked about
    full_pages = 0
    while True:
        page = fetch_page(path, base, request)
        rows = len(page)
        served_more = sizes.largest.get(path, 0) > rows
        sizes.saw(path, rows)
        if confirming is not None:
            if not page:
                return  # the short page before was the end, as it looked
            if page == confirming or rows > request.unit:
                raise _unpaged(path, request, rows)
            sizes.capped[path] = request.unit
            confirming = None
        if rows > request.unit:
            raise _unpaged(path, request, rows)
        if page:
            yield page
        if rows < request.unit:
            if rows == 0 or served_more or request.unit < request.size:
                return  # short where the server is known to fill its pages: the end
            confirming = page  # maybe the end, maybe all the server serves: one more request tells
            request.unit = rows
        else:
            full_pages += 1
            if full_pages >= max_pages:
                raise PaginationLimitError(
                    f"GET {path}: read max_pages={max_pages} full pages of {request.unit} and the last was "
                    "still full, so more data remains; stopping here would give an incomplete result. "
                    "Narrow the query (e.g. a shorter date window) or raise max_pages.",
                    method="GET",
                    path=path,
                )
        request.offset += request.unit
        if request.slow:
            request.slow = False
            request.shrink()


def _unpaged(path: str, request: PageRequest, rows: int) -> MalformedResponseError:
    return MalformedResponseError(
        f"GET {path}: page {request.number} held {rows} rows (at most {request.unit} expected, and never "
        "the rows of the page before); the server's paging is not what this client understands, so the "
        "scan stops rather than guess which rows it skipped",
        method="GET",
        path=path,
    )
