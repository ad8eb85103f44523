"""Page-number pagination as Wistia does it: bare JSON arrays, no totals, the end is a short or empty page.

Rules: start at page 1; always send `per_page` (Wistia silently defaults to 10, so a reader that assumed
100 would stop after the first "short" page and miss 90% of the data); stop after a page shorter than
`per_page` (an exact multiple costs one extra, empty page); refuse to go past `max_pages` full pages,
because stopping there silently would land an incomplete table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from wistia_ingest.config import MAX_PER_PAGE
from wistia_ingest.errors import PaginationLimitError

Page = list[dict[str, Any]]
FetchPage = Callable[[str, dict[str, Any]], Page]
RESERVED_PARAMS = frozenset({"page", "per_page"})


def iter_pages(
    fetch_page: FetchPage,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    per_page: int,
    max_pages: int,
) -> Iterator[Page]:
    """Every page of `path` in order. `fetch_page(path, params)` returns one validated page.

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
    return _pages(fetch_page, path, base, per_page, max_pages)


def _pages(
    fetch_page: FetchPage, path: str, base: dict[str, Any], per_page: int, max_pages: int
) -> Iterator[Page]:
    page_number = 1
    while True:
        page = fetch_page(path, {**base, "page": page_number, "per_page": per_page})
        if page:
            yield page
        if len(page) < per_page:
            return
        if page_number >= max_pages:
            raise PaginationLimitError(
                f"GET {path}: read max_pages={max_pages} full pages of {per_page} and the last was still "
                "full, so more data remains; stopping here would give an incomplete result. Narrow the "
                "query (e.g. a shorter date window) or raise max_pages.",
                method="GET",
                path=path,
            )
        page_number += 1
