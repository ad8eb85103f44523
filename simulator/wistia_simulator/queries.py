"""Selection and ordering of what a list endpoint returns (before paging and rendering).

Shared by the HTTP API and the ground-truth export.
"""

from __future__ import annotations

import datetime as dt
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


def _day_bounds(snap: Snapshot, flt: EventFilter) -> tuple[int, int, int]:
    world = snap.world
    cutoff = snap.at - RETENTION_DAYS * DAY
    first = max(0, world.day_index(cutoff))
    last = snap.overlay.last_day
    if flt.start is not None:
        first = max(first, (date_to_ts(flt.start) - world.origin_ts) // DAY)
    if flt.end is not None:
        last = min(last, (date_to_ts(flt.end) - world.origin_ts) // DAY)
    return first, last, cutoff


def _day_events(snap: Snapshot, k: int, flt: EventFilter, cutoff: int) -> Sequence[int]:
    indices = snap.visible_plays_of_day(k, flt.media)
    ts = snap.world.data.plays.ts
    if k == snap.world.day_index(cutoff):
        return [i for i in indices if ts[i] >= cutoff]
    return indices if isinstance(indices, Sequence) else list(indices)


def event_page(snap: Snapshot, flt: EventFilter, offset: int, limit: int) -> list[int]:
    """Global play indices of one page, newest first (received_at desc; no two plays share a second,
    so event_key never has to break a tie)."""
    if flt.media == -1 or flt.visitor == -1:
        return []
    first, last, cutoff = _day_bounds(snap, flt)
    if flt.visitor is not None:
        return list(_visitor_events(snap, flt, first, last, cutoff))[offset : offset + limit]
    page: list[int] = []
    for k in range(last, first - 1, -1):
        day = _day_events(snap, k, flt, cutoff)
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
    first, last, cutoff = _day_bounds(snap, flt)
    if flt.visitor is not None:
        yield from _visitor_events(snap, flt, first, last, cutoff)
        return
    for k in range(last, first - 1, -1):
        yield from reversed(_day_events(snap, k, flt, cutoff))


def _visitor_events(snap: Snapshot, flt: EventFilter, first: int, last: int, cutoff: int) -> Iterator[int]:
    world = snap.world
    if flt.visitor is None:
        return
    plays = world.data.plays
    for i in reversed(world.data.visitors.events[flt.visitor]):
        ts = plays.ts[i]
        k = world.day_index(ts)
        if k > last or ts > snap.at:
            continue
        if k < first or ts < cutoff:
            break
        if flt.media is not None and plays.media[i] != flt.media:
            continue
        if snap.play_visible(i):
            yield i


# -- visitors and daily stats -------------------------------------------------------------------


def visitors(snap: Snapshot, filter_name: str | None, search: str | None) -> list[int]:
    listed = snap.listed_visitors()
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
