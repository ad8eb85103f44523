"""Visitors -> bronze, in the mode Plan chose (`ctx.visitors`): a full snapshot, per-key reads, or nothing.

/stats/visitors has no date, media or sort filter, so "what changed" can only be a full scan (snapshot)
or per-key reads of the visitors seen in this run's events (by_key, between weekly snapshots).
A per-key read costs one request per visitor while a snapshot page holds 100, so by_key falls back to a
snapshot when it would need more than MAX_BY_KEY_READS reads (300 reads is a snapshot of 30,000
visitors, half a minute of the account's rate budget), or at least as many reads as the last snapshot
had pages: on a small account a snapshot is the cheap path.

The list is newest-active first, so it can shift while a snapshot is read; a scan that saw a visitor
twice re-reads the head of the list (`_reread_head`), so nobody who became active meanwhile is missed.

Every payload is PII-protected before it is written. Snapshot pages are written as they arrive (a scan
of a large account does not fit comfortably in memory), each with the visitors not seen on an earlier
page, and the part, written last, lists them: readers
only trust pages a part lists, and page objects beyond the last page of a previous, larger snapshot of
the same day are deleted so the day's prefix holds exactly one snapshot.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from wistia_ingest.bronze import (
    BronzeStore,
    Part,
    WrittenObject,
    part_key,
    visitors_by_key_key,
    visitors_snapshot_key,
    visitors_snapshot_prefix,
)
from wistia_ingest.client import WistiaClient
from wistia_ingest.errors import NotFoundError, WistiaError
from wistia_ingest.pii import PiiProtector
from wistia_ingest.run_context import RunContext

STREAM = "visitors"
SNAPSHOT_UNIT = "visitors-snapshot"
BY_KEY_UNIT = "visitors-by-key"
EVENTS_STREAM = "events"
MAX_BY_KEY_READS = 300
MAX_HEAD_PASSES = 10


class SnapshotUnsettledError(WistiaError):
    """The visitor list kept moving while the snapshot was read; the part is not written."""


_PAGE = re.compile(r"/page=(\d+)\.json\.gz$")


def skipped() -> dict[str, Any]:
    """The result when Plan chose to skip visitors this run (nothing is read or written)."""
    return {
        "unit": None,
        "mode": "skip",
        "records": 0,
        "pages": 0,
        "repeats": 0,
        "lookups": 0,
        "not_found": 0,
        "requests": 0,
    }


def ingest_visitors(
    *,
    client: WistiaClient,
    bronze: BronzeStore,
    pii: PiiProtector,
    ctx: RunContext,
    last_snapshot: dt.date | None = None,
) -> dict[str, Any]:
    """Run the planned mode; the result names the mode that actually ran. `last_snapshot`: the run date
    of the last merged snapshot (the `visitors` watermark), whose page count prices a snapshot.

    Result: `{unit, mode, records, pages, repeats, lookups, not_found, requests}` (counts only; `repeats`:
    visitors a snapshot saw twice because the list moved under it).
    """
    if ctx.visitors == "skip":
        return skipped()
    if ctx.visitors == "by_key":
        keys = visitor_keys_of_run(bronze, ctx)
        if len(keys) <= MAX_BY_KEY_READS and len(keys) < _snapshot_cost(bronze, ctx, last_snapshot):
            return _by_key(client, bronze, pii, ctx, keys)
    return _snapshot(client, bronze, pii, ctx)


def _snapshot_cost(bronze: BronzeStore, ctx: RunContext, last_snapshot: dt.date | None) -> float:
    """Requests a snapshot would take, as the last one's pages in bronze (unknown: no limit)."""
    if last_snapshot is None:
        return float("inf")
    pages = len(bronze.list_keys(visitors_snapshot_prefix(ctx, last_snapshot)))
    return pages if pages else float("inf")


def visitor_keys_of_run(bronze: BronzeStore, ctx: RunContext) -> list[str]:
    """Distinct visitor keys in the events objects this run's events parts list, sorted."""
    keys: set[str] = set()
    for listed in bronze.list_keys(ctx.parts_prefix):
        if not listed.rsplit("/", 1)[-1].startswith(f"{EVENTS_STREAM}-"):
            continue  # media batch and visitor parts: no need to read them
        part = bronze.get_json(listed)
        if part.get("stream") != EVENTS_STREAM:
            continue
        for obj in part.get("objects", []):
            for event in bronze.get_json(obj["key"]):
                key = event.get("visitor_key")
                if isinstance(key, str) and key:
                    keys.add(key)
    return sorted(keys)


def _snapshot(
    client: WistiaClient, bronze: BronzeStore, pii: PiiProtector, ctx: RunContext
) -> dict[str, Any]:
    part = Part(unit=SNAPSHOT_UNIT, stream=STREAM)
    seen: dict[str, None] = {}  # visitor keys in the order first read

    def keep(page: list[dict[str, Any]]) -> int:
        """Write the visitors not seen yet as the next page object; how many were new."""
        new = [visitor for visitor in page if _key(visitor) not in seen]
        seen.update(dict.fromkeys(_key(visitor) for visitor in new))
        if new:
            key = visitors_snapshot_key(ctx, len(part.objects) + 1)
            bronze.put_json_gz(key, [pii.visitor(visitor) for visitor in new])
            part.objects.append(WrittenObject(key=key, entity="visitors", records=len(new)))
        return len(new)

    scanned = repeats = 0
    for page in client.iter_visitor_pages():
        scanned += 1
        repeats += len(page) - keep(page)
    head_reads = _reread_head(client, keep, list(seen), repeats) if repeats else 0
    _delete_pages_after(bronze, ctx, len(part.objects))
    _write_part(bronze, ctx, part, replaces=BY_KEY_UNIT)
    return {
        "unit": part.unit,
        "mode": "snapshot",
        "records": sum(obj.records for obj in part.objects),
        "pages": scanned + head_reads,
        "repeats": repeats,
        "lookups": 0,
        "not_found": 0,
        "requests": client.stats.requests_sent,
    }


def _reread_head(
    client: WistiaClient, keep: Callable[[list[dict[str, Any]]], int], scanned: list[str], moves: int
) -> int:
    """Read the head of the list again until nobody can be missing; returns the pages read.

    The list is newest-active first, so it only changes at its head: a visitor who becomes active jumps
    there. One who jumped from below the scan's read point was missed, and pushed every row above its
    old place one down, so the next page repeated a row (`moves` counts them). Below the moved visitors
    lies the rest of the list, unmoved, in the order it was last read. A pass reads from page 1 at
    least `moves` rows (plus one per move during the pass, which pushes the rows down), and on until a
    page brings nobody new and is in the order last read (moved visitors are in the order they became
    active). Moves during a pass show as rows read twice in it; they carried visitors to the head again,
    so another pass follows, short: down to where this one's order resumes. A pass without moves ends
    it; a scan without repeats costs nothing more.
    """
    pages = 0
    known = list(scanned)  # the list as last read, top first
    for _ in range(MAX_HEAD_PASSES):
        position = {key: index for index, key in enumerate(known)}
        read: dict[str, None] = {}
        rows = moved = 0
        for page in client.iter_visitor_pages():
            pages += 1
            keys = [_key(visitor) for visitor in page]
            moved += sum(1 for key in keys if key in read)
            read.update(dict.fromkeys(keys))
            rows += len(page)
            if not keep(page) and rows >= moves + moved and _in_order(keys, position):
                break
        if not moved:
            return pages
        known = [*read, *(key for key in known if key not in read)]
        moves = moved
    raise SnapshotUnsettledError(
        f"the visitor list was still moving after {MAX_HEAD_PASSES} re-reads of its head (visitors "
        "becoming active while the snapshot was read); nothing was recorded as a snapshot: re-run, "
        "ideally at a quieter hour"
    )


def _in_order(keys: list[str], position: dict[str, int]) -> bool:
    """The rows are known and in the order last read: the unmoved part of the list."""
    order = [position.get(key, -1) for key in keys]
    return -1 not in order and all(earlier < later for earlier, later in itertools.pairwise(order))


def _key(visitor: dict[str, Any]) -> str:
    return str(visitor.get("visitor_key"))


def _delete_pages_after(bronze: BronzeStore, ctx: RunContext, last_page: int) -> None:
    stale = []
    for key in bronze.list_keys(visitors_snapshot_prefix(ctx)):
        match = _PAGE.search(key)
        if match and int(match.group(1)) > last_page:
            stale.append(key)
    if stale:
        bronze.delete_keys(stale)


def _write_part(bronze: BronzeStore, ctx: RunContext, part: Part, *, replaces: str) -> None:
    """Write the part and drop the other mode's part a previous attempt of this run may have left."""
    bronze.delete_keys([part_key(ctx, replaces)])
    bronze.write_part(ctx, part)


def _by_key(
    client: WistiaClient, bronze: BronzeStore, pii: PiiProtector, ctx: RunContext, keys: list[str]
) -> dict[str, Any]:
    visitors: list[dict[str, Any]] = []
    not_found = 0
    for visitor_key in keys:
        try:
            visitor = client.get_object(f"/stats/visitors/{quote(visitor_key, safe='')}")
        except NotFoundError:
            not_found += 1  # no visible play any more (or never had one): nothing to update
            continue
        visitors.append(pii.visitor(visitor))
    key = visitors_by_key_key(ctx)
    bronze.put_json_gz(key, visitors)
    part = Part(
        unit=BY_KEY_UNIT,
        stream=STREAM,
        objects=[WrittenObject(key=key, entity="visitors_by_key", records=len(visitors))],
    )
    _write_part(bronze, ctx, part, replaces=SNAPSHOT_UNIT)
    return {
        "unit": part.unit,
        "mode": "by_key",
        "records": len(visitors),
        "pages": 0,
        "repeats": 0,
        "lookups": len(keys),
        "not_found": not_found,
        "requests": client.stats.requests_sent,
    }
