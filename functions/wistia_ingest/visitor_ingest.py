"""Visitors -> bronze, in the mode Plan chose (`ctx.visitors`): a full snapshot, per-key reads, or nothing.

/stats/visitors has no date, media or sort filter, so "what changed" can only be a full scan (snapshot)
or per-key reads of the visitors seen in this run's events (by_key, between weekly snapshots).
A per-key read costs one request per visitor while a snapshot page holds 100, so by_key falls back to a
snapshot when it would need more than MAX_BY_KEY_READS reads (300 reads is a snapshot of 30,000
visitors, half a minute of the account's rate budget), or at least as many reads as the last snapshot
had pages: on a small account a snapshot is the cheap path.

Every payload is PII-protected before it is written. Snapshot pages are written as they arrive (a scan
of a large account does not fit comfortably in memory), and the part, written last, lists them: readers
only trust pages a part lists, and page objects beyond the last page of a previous, larger snapshot of
the same day are deleted so the day's prefix holds exactly one snapshot.
"""

from __future__ import annotations

import datetime as dt
import re
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
from wistia_ingest.errors import NotFoundError
from wistia_ingest.pii import PiiProtector
from wistia_ingest.run_context import RunContext

STREAM = "visitors"
SNAPSHOT_UNIT = "visitors-snapshot"
BY_KEY_UNIT = "visitors-by-key"
EVENTS_STREAM = "events"
MAX_BY_KEY_READS = 300
_PAGE = re.compile(r"/page=(\d+)\.json\.gz$")


def skipped() -> dict[str, Any]:
    """The result when Plan chose to skip visitors this run (nothing is read or written)."""
    return {
        "unit": None,
        "mode": "skip",
        "records": 0,
        "pages": 0,
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

    Result: `{unit, mode, records, pages, lookups, not_found, requests}` (counts only).
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
    pages = 0
    for pages, page in enumerate(client.iter_visitor_pages(), start=1):
        key = visitors_snapshot_key(ctx, pages)
        bronze.put_json_gz(key, [pii.visitor(visitor) for visitor in page])
        part.objects.append(WrittenObject(key=key, entity="visitors", records=len(page)))
    _delete_pages_after(bronze, ctx, pages)
    _write_part(bronze, ctx, part, replaces=BY_KEY_UNIT)
    return {
        "unit": part.unit,
        "mode": "snapshot",
        "records": sum(obj.records for obj in part.objects),
        "pages": pages,
        "lookups": 0,
        "not_found": 0,
        "requests": client.stats.requests_sent,
    }


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
        "lookups": len(keys),
        "not_found": not_found,
        "requests": client.stats.requests_sent,
    }
