"""Selection and ordering of what a list endpoint returns (before paging and rendering).

Shared by the HTTP API and the ground-truth export.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from wistia_simulator.model import DAY, Media, Project
from wistia_simulator.render import identity, project_media_count
from wistia_simulator.visibility import Snapshot
from wistia_simulator.world import World, date_to_ts, ts_to_date

RETENTION_DAYS = 730
"""/stats/events serves only events received in the last 2 years (730 days) before the clock."""


@dataclass(frozen=True, slots=True)
class MediaFilter:
    project_id: str | None = None
    hashed_ids: tuple[str, ...] | None = None
    type: str | None = None
    archived: bool | None = None
    name: str | None = None


def medias(world: World, at: int, flt: MediaFilter, sort_by: str | None, ascending: bool) -> list[Media]:
    """Existing medias (created, not deleted) matching the filter, sorted; ties broken by id."""
    selected = []
    wanted = set(flt.hashed_ids) if flt.hashed_ids is not None else None
    for media in world.medias:
        if not media.exists_at(at):
            continue
        if flt.project_id is not None and world.projects[media.project].hashed_id != flt.project_id:
            continue
        if wanted is not None and media.hashed_id not in wanted:
            continue
        if flt.type is not None and media.type != flt.type:
            continue
        archived = media.archived_ts is not None and media.archived_ts <= at
        if flt.archived is not None and archived != flt.archived:
            continue
        if flt.name is not None and media.name_at(at) != flt.name:
            continue
        selected.append(media)
    if sort_by == "name":
        selected.sort(key=lambda m: (m.name_at(at), m.id), reverse=not ascending)
    elif sort_by == "created":
        selected.sort(key=lambda m: (m.created_ts, m.id), reverse=not ascending)
    elif sort_by == "updated":
        selected.sort(key=lambda m: (m.updated_at(at), m.id), reverse=not ascending)
    elif not ascending:
        selected.reverse()  # id order ("position" is treated like id)
    return selected


def projects(world: World, at: int, sort_by: str | None, ascending: bool) -> list[Project]:
    selected = [p for p in world.projects if p.created_ts <= at]
    if sort_by == "name":
        selected.sort(key=lambda p: (p.name, p.id), reverse=not ascending)
    elif sort_by == "created":
        selected.sort(key=lambda p: (p.created_ts, p.id), reverse=not ascending)
    elif sort_by == "updated":
        selected.sort(key=lambda p: (p.updated_ts(at), p.id), reverse=not ascending)
    elif sort_by == "mediaCount":
        selected.sort(key=lambda p: (project_media_count(world, p, at), p.id), reverse=not ascending)
    elif not ascending:
        selected.reverse()
    return selected


# -- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFilter:
    media: int | None = None
    """Media index; -1 means a media_id that matches nothing."""
    visitor: int | None = None
    """Visitor index; -1 means a visitor_key that matches nothing."""
    start: dt.date | None = None
    end: dt.date | None = None
    offset_hours: int = 0
    """The days of start/end are those of a fixed UTC offset (quirk `tz`): day D covers UTC
    [D 00:00 - offset, D+1 00:00 - offset)."""


@dataclass(frozen=True, slots=True)
class _Window:
    """UTC days [first, last] to scan (by index), and the served events' bounds lo <= ts < hi."""

    first: int
    last: int
    lo: int
    hi: int | None


def _window(snap: Snapshot, flt: EventFilter) -> _Window:
    world = snap.world
    lo = snap.at - RETENTION_DAYS * DAY
    hi: int | None = None
    shift = flt.offset_hours * 3600
    if flt.start is not None:
        lo = max(lo, date_to_ts(flt.start) - shift)
    if flt.end is not None:
        hi = date_to_ts(flt.end + dt.timedelta(days=1)) - shift
    first = max(0, world.day_index(lo))
    last = snap.overlay.last_day if hi is None else min(snap.overlay.last_day, world.day_index(hi - 1))
    return _Window(first, last, lo, hi)


def _day_events(snap: Snapshot, k: int, flt: EventFilter, window: _Window) -> Sequence[int]:
    indices = snap.visible_plays_of_day(k, flt.media)
    world = snap.world
    day_start = world.origin_ts + k * DAY
    lo, hi = window.lo, window.hi
    if day_start < lo or (hi is not None and day_start + DAY > hi):  # the window cuts this day
        ts = world.data.plays.ts
        return [i for i in indices if lo <= ts[i] and (hi is None or ts[i] < hi)]
    return indices if isinstance(indices, Sequence) else list(indices)


def event_page(snap: Snapshot, flt: EventFilter, offset: int, limit: int) -> list[int]:
    """Global play indices of one page, newest first (received_at desc; no two plays share a second,
    so event_key never has to break a tie)."""
    if flt.media == -1 or flt.visitor == -1:
        return []
    window = _window(snap, flt)
    if flt.visitor is not None:
        return list(_visitor_events(snap, flt, window))[offset : offset + limit]
    page: list[int] = []
    for k in range(window.last, window.first - 1, -1):
        day = _day_events(snap, k, flt, window)
        if offset >= len(day):
            offset -= len(day)
            continue
        take = day[::-1][offset : offset + limit - len(page)]
        offset = 0
        page.extend(take)
        if len(page) >= limit:
            break
    return page


def all_events(snap: Snapshot, flt: EventFilter) -> Iterator[int]:
    if flt.media == -1 or flt.visitor == -1:
        return
    window = _window(snap, flt)
    if flt.visitor is not None:
        yield from _visitor_events(snap, flt, window)
        return
    for k in range(window.last, window.first - 1, -1):
        yield from reversed(_day_events(snap, k, flt, window))


def _visitor_events(snap: Snapshot, flt: EventFilter, window: _Window) -> Iterator[int]:
    world = snap.world
    if flt.visitor is None:
        return
    plays = world.data.plays
    hi = snap.at + 1 if window.hi is None else min(window.hi, snap.at + 1)
    for i in reversed(world.data.visitors.events[flt.visitor]):
        ts = plays.ts[i]
        if ts >= hi:
            continue
        if ts < window.lo:
            break
        if flt.media is not None and plays.media[i] != flt.media:
            continue
        if snap.play_visible(i):
            yield i


# -- visitors and daily stats -------------------------------------------------------------------


class Promotions:
    """Visitors moved to the head of /stats/visitors while a scan was under way (quirk
    `visitor_churn`), latest promotion first. Kept for the simulator's life; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._promoted: list[int] = []

    def promote(self, visitor: int) -> None:
        with self._lock:
            if visitor in self._promoted:
                self._promoted.remove(visitor)
            self._promoted.insert(0, visitor)

    def current(self) -> tuple[int, ...]:
        with self._lock:
            return tuple(self._promoted)


def visitors(
    snap: Snapshot, filter_name: str | None, search: str | None, promoted: Sequence[int] = ()
) -> list[int]:
    """Listed visitors matching the filter: newest-active first, after any promoted ones."""
    listed = snap.listed_visitors()
    if promoted:
        data = snap.world.data.visitors
        heads = [v for v in promoted if v < len(data) and snap.visitor_totals(v).play_count > 0]
        moved = set(heads)
        listed = heads + [v for v in listed if v not in moved]
    if filter_name is None and not search:
        return listed
    needle = (search or "").lower()
    selected = []
    for v in listed:
        identified = snap.identified(v) >= 0
        if filter_name is not None and not identified:
            continue  # every identified visitor came through the email gate with a name and email
        if needle:
            if not identified:
                continue
            first, last, email, _, _ = identity(snap.world, v)
            if needle not in f"{first} {last}".lower() and needle not in email.lower():
                continue
        selected.append(v)
    return selected


def daily_days(world: World, media: Media, at: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """Days by_date returns for [start, end]: from the media's creation day, up to the clock's day."""
    first = max(start, ts_to_date(media.created_ts))
    last = min(end, ts_to_date(at))
    out = []
    day = first
    while day <= last:
        out.append(day)
        day += dt.timedelta(days=1)
    return out
