"""The fewest Wistia requests a nightly run could make, computed from the simulator's ground truth.

Independent of the pipeline's own plan: the inputs are two ground-truth exports of the account, as the
API showed it at the previous pull and at this one (`WistiaSimulator.ground_truth(as_of=...)`). What a
reader must fetch to learn everything that changed in between, given what the API offers:

- **Listing** (`/medias`): newest-updated first, down to the first media older than the previous pull's
  newest `updated` (ties included, as they may have been updated again within the second); bare pages
  with no totals end at the first short page, so reading k records costs `k // 100 + 1` pages. A full
  listing (a sweep night) reads every page.
- **Media totals** (`/stats/medias/{id}`): one call per existing media. Nothing else in the API says
  whether a media's totals moved (no change feed, the listing carries no counts, `/stats/account` is
  account-wide), so this probe cannot be skipped for any media.
- **Engagement** (`/engagement`): only for medias whose `play_count` moved (or that are new): the curve
  and the engagement figure are computed from plays alone, so an unchanged play count means an unchanged
  answer, and the probe above tells which counts moved.
- **Daily rows** (`/by_date`): only for medias whose `load_count` moved (or that are new): every record,
  play or load-only, adds to `load_count` and to one daily row, so an unchanged count means unchanged rows.
- **Events** (`/stats/events`, one day per query, every page): the closed days the previous pull had not
  read, and the days it had read whose events changed since (late arrivals).
- **Visitors** (`/stats/visitors` has no filter): a full snapshot when one is due; otherwise per-key
  reads of the visitors that changed, or the snapshot if that is fewer requests.

The naive full re-pull reads everything: every listing page, the three stats calls of every media, the
whole event feed (one unfiltered scan, its cheapest form) and every visitor page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

PER_PAGE = 100  # what the pipeline requests and Wistia's maximum

LISTING = "/medias"
STATS = "/stats/medias/{id}"
ENGAGEMENT = "/stats/medias/{id}/engagement"
BY_DATE = "/stats/medias/{id}/by_date"
EVENTS = "/stats/events"
VISITOR_PAGES = "/stats/visitors"
VISITOR_BY_KEY = "/stats/visitors/{key}"
ROUTES = (LISTING, STATS, ENGAGEMENT, BY_DATE, EVENTS, VISITOR_PAGES, VISITOR_BY_KEY)


def pages_to_read(records: int, per_page: int = PER_PAGE) -> int:
    """Pages to read `records` records and learn that there are no more: a page-number feed without
    totals ends at the first short page, so an exact multiple of `per_page` costs one empty page more."""
    if records < 0:
        raise ValueError(f"records must be >= 0, got {records}")
    return records // per_page + 1


@dataclass(frozen=True)
class NightChanges:
    """What changed in the account between the previous pull and this one."""

    existing_medias: int
    medias_updated_since_watermark: int
    new_medias: int
    medias_with_new_records: int
    medias_with_new_plays: int
    medias_with_changed_stats: int
    events_by_day: dict[str, int]
    """Closed days a reader must read tonight -> events served for that day now."""
    changed_event_days: list[str]
    """Of those, the days the previous pull had read but which changed since (late arrivals)."""
    total_events: int
    visitors: int
    visitors_changed: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def night_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], *, read_up_to: dt.date, reading_up_to: dt.date
) -> NightChanges:
    """Compare two ground-truth exports. `read_up_to`: the last closed day the previous pull read;
    `reading_up_to`: tonight's last closed day."""
    existing_before = [m for m in before["medias"] if not m.get("deleted")]
    existing_after = [m for m in after["medias"] if not m.get("deleted")]
    watermark = max((_instant(m["updated"]) for m in existing_before), default=None)
    updated_since = sum(1 for m in existing_after if watermark is None or _instant(m["updated"]) >= watermark)
    known = {m["hashed_id"] for m in existing_before}
    new = {m["hashed_id"] for m in existing_after} - known

    stats_before, stats_after = before["media_stats"], after["media_stats"]

    def moved(media_id: str, field: str) -> bool:
        return media_id in new or stats_before.get(media_id, {}).get(field) != stats_after[media_id].get(
            field
        )

    ids = [m["hashed_id"] for m in existing_after]
    days_before = _event_keys_by_day(before["events"])
    days_after = _event_keys_by_day(after["events"])
    changed_days = sorted(
        day
        for day, keys in days_after.items()
        if day <= read_up_to.isoformat() and keys != days_before.get(day)
    )
    new_days = [
        (read_up_to + dt.timedelta(days=n)).isoformat()
        for n in range(1, (reading_up_to - read_up_to).days + 1)
    ]
    to_read = sorted(set(changed_days) | set(new_days))
    visitors_before = {v["visitor_key"]: v for v in before["visitors"]}
    return NightChanges(
        existing_medias=len(existing_after),
        medias_updated_since_watermark=updated_since,
        new_medias=len(new),
        medias_with_new_records=sum(1 for media_id in ids if moved(media_id, "load_count")),
        medias_with_new_plays=sum(1 for media_id in ids if moved(media_id, "play_count")),
        medias_with_changed_stats=sum(
            1 for media_id in ids if media_id in new or stats_before.get(media_id) != stats_after[media_id]
        ),
        events_by_day={day: len(days_after.get(day, ())) for day in to_read},
        changed_event_days=changed_days,
        total_events=len(after["events"]),
        visitors=len(after["visitors"]),
        visitors_changed=sum(1 for v in after["visitors"] if visitors_before.get(v["visitor_key"]) != v),
    )


def lower_bound(changes: NightChanges, *, full_listing: bool, visitor_snapshot_due: bool) -> dict[str, int]:
    """Requests per route that a reader who knew the API's rules (not the answers) could not avoid."""
    snapshot = pages_to_read(changes.visitors)
    per_key = not visitor_snapshot_due and changes.visitors_changed < snapshot
    listed = changes.existing_medias if full_listing else changes.medias_updated_since_watermark
    return {
        LISTING: pages_to_read(listed),
        STATS: changes.existing_medias,
        ENGAGEMENT: changes.medias_with_new_plays,
        BY_DATE: changes.medias_with_new_records,
        EVENTS: sum(pages_to_read(n) for n in changes.events_by_day.values()),
        VISITOR_PAGES: 0 if per_key else snapshot,
        VISITOR_BY_KEY: changes.visitors_changed if per_key else 0,
    }


def clairvoyant_bound(
    changes: NightChanges, *, full_listing: bool, visitor_snapshot_due: bool
) -> dict[str, int]:
    """The same, for a reader told in advance which medias changed (no probe of unchanged medias):
    a floor no real reader can reach, reported for context."""
    bound = lower_bound(changes, full_listing=full_listing, visitor_snapshot_due=visitor_snapshot_due)
    bound[STATS] = changes.medias_with_changed_stats
    return bound


def naive_full_pull(changes: NightChanges) -> dict[str, int]:
    """Re-reading the whole account: every listing page, 3 stats calls per media, all events, all visitors."""
    return {
        LISTING: pages_to_read(changes.existing_medias),
        STATS: changes.existing_medias,
        ENGAGEMENT: changes.existing_medias,
        BY_DATE: changes.existing_medias,
        EVENTS: pages_to_read(changes.total_events),
        VISITOR_PAGES: pages_to_read(changes.visitors),
        VISITOR_BY_KEY: 0,
    }


def excess_by_route(made: Mapping[str, int], bound: Mapping[str, int]) -> dict[str, int]:
    """Requests made beyond the bound, per route (negative: fewer than the bound, i.e. data missed)."""
    return {route: int(made.get(route, 0)) - int(bound.get(route, 0)) for route in ROUTES}


def _event_keys_by_day(events: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    days: dict[str, set[str]] = defaultdict(set)
    for event in events:
        days[str(event["received_at"])[:10]].add(str(event["event_key"]))  # UTC in every era's format
    return {day: frozenset(keys) for day, keys in days.items()}


def _instant(value: Any) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(str(value))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
