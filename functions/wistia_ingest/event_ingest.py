"""One day bucket of /stats/events -> one bronze object, written only once every page has been read.

Events come back newest first, with no sort parameter and only day-granular filters, so a day is
complete only after its last page. All pages are held in memory (a busy day on a large account is a few
thousand events, a few MB), protected, and written as one object whose key depends on the day (and
media) only: a re-run of the day overwrites it. A failed page writes nothing, so a half-read day never
lands.

The docs never say in which timezone `start_date`/`end_date` bound a day. If Wistia buckets by the
account's timezone, a day's answer holds events of a neighbouring UTC day: they are kept (the Transform
files each event under its own UTC day and MERGEs on `event_key`), and the part records how many fell
before and after the asked day, which tells Commit how far the events watermark may move
(docs/client.md). Records the Transform cannot use (no `received_at`, or far from the day) are
quarantined there with their reason; the day still completes.

Late events can be inserted while we page (a late event of this day pushes older ones one place down),
which shows up as the same event on two adjacent pages; the repeat is dropped, keeping the first.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from wistia_ingest.bronze import BronzeStore, Part, WrittenObject, events_day_key
from wistia_ingest.client import WistiaClient
from wistia_ingest.pii import PiiProtector
from wistia_ingest.run_context import RunContext

STREAM = "events"
logger = logging.getLogger("wistia_ingest.event_ingest")


class EventDayError(ValueError):
    """The requested day cannot be ingested by this run: outside its window, or not closed yet."""


def events_unit(day: dt.date, media_id: str | None = None) -> str:
    return f"events-{day.isoformat()}" + (f"-media-{media_id}" if media_id else "")


def check_day(ctx: RunContext, day: dt.date) -> None:
    if day >= ctx.run_date:
        raise EventDayError(
            f"day {day} is not closed yet (run date {ctx.run_date}): only days before the run date are "
            "ingested, because an open day's events are still arriving"
        )
    if not ctx.window.start <= day <= ctx.window.end:
        raise EventDayError(
            f"day {day} is outside run {ctx.run_key}'s window {ctx.window.start}..{ctx.window.end}; "
            "ingest it with a backfill whose window covers it"
        )


def ingest_events_day(
    *,
    client: WistiaClient,
    bronze: BronzeStore,
    pii: PiiProtector,
    ctx: RunContext,
    day: dt.date,
    media_id: str | None = None,
    log: Any = None,
) -> dict[str, Any]:
    """Read, check, protect and write one day of events, then its part.

    Result: `{unit, day, records, pages, requests, visitor_keys, spread}` (counts only). `log` is the
    handler's structured logger (a stdlib logger by default).
    """
    log = log if log is not None else logger
    check_day(ctx, day)
    pages = list(client.iter_event_pages(start_date=day, end_date=day, media_id=media_id))
    received = [event for page in pages for event in page]
    events = _without_repeats(received)
    spread = day_spread(events, day)
    if len(events) < len(received):
        log.warning(
            "dropped events repeated across pages (late arrivals shifted the pages while reading)",
            extra={"day": day.isoformat(), "repeats": len(received) - len(events)},
        )
    protected = [pii.event(event) for event in events]

    key = events_day_key(ctx, day, media_id)
    bronze.put_json_gz(key, protected)
    obj = WrittenObject(
        key=key, entity="events", records=len(protected), media_id=media_id, day=day.isoformat()
    )
    if spread["unreadable"] or spread["far"]:
        log.warning(
            "events the Transform will quarantine: no readable received_at, or far from the day asked",
            extra={"day": day.isoformat(), **spread},
        )
    part = Part(unit=events_unit(day, media_id), stream=STREAM, objects=[obj], spread=spread)
    bronze.write_part(ctx, part)
    visitor_keys = {event.get("visitor_key") for event in events} - {None, ""}
    return {
        "unit": part.unit,
        "day": day.isoformat(),
        "records": len(protected),
        "pages": len(pages),
        "requests": client.stats.requests_sent,
        "visitor_keys": len(visitor_keys),
        "spread": spread,
    }


def received_day(event: dict[str, Any]) -> dt.date | None:
    """The UTC day of `received_at` (`Z`, `.000Z` or `+00:00`), or None if absent or unreadable."""
    raw = event.get("received_at")
    if not isinstance(raw, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if stamp.tzinfo is None:  # Wistia's times are UTC; a bare one is read as such
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).date()


def day_spread(events: list[dict[str, Any]], day: dt.date) -> dict[str, int]:
    """How many of a day bucket's events were received the UTC day before it, on it, the day after, further
    away, or at no readable time: the evidence of how the API's day buckets sit against UTC."""
    spread = dict.fromkeys(("before", "on", "after", "far", "unreadable"), 0)
    for event in events:
        received = received_day(event)
        if received is None:
            spread["unreadable"] += 1
            continue
        offset = (received - day).days
        spread[{-1: "before", 0: "on", 1: "after"}.get(offset, "far")] += 1
    return spread


def _without_repeats(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """First occurrence of each event_key, order kept (old payloads without a key are all kept)."""
    seen: set[str] = set()
    unique: list[dict[str, Any]] = []
    for event in events:
        key = event.get("event_key")
        if isinstance(key, str) and key:
            if key in seen:
                continue
            seen.add(key)
        unique.append(event)
    return unique
