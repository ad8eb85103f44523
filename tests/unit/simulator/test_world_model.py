"""The synthetic world: deterministic, extendable day by day, and realistic in the ways that matter."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from wistia_simulator import PRESETS
from wistia_simulator.generator import MAX_DELAY
from wistia_simulator.model import DAY
from wistia_simulator.world import World, date_to_ts

ORIGIN = dt.date(2026, 5, 1)


def _world(days: int, seed: int = 7, deletions: dict[str, int] | None = None) -> World:
    world = World(seed, PRESETS["demo"], ORIGIN, deletions)
    world.ensure_time(date_to_ts(ORIGIN) + days * DAY - 1)
    return world


def _columns(world: World, upto: int | None = None) -> tuple[object, ...]:
    p, ld = world.data.plays, world.data.loads
    n = len(p) if upto is None else upto
    return (
        list(p.ts[:n]),
        list(p.media[:n]),
        list(p.visitor[:n]),
        list(p.percent[:n]),
        list(p.visible_at[:n]),
        list(p.flags[:n]),
        [world.event_key(i) for i in range(0, n, 97)],
        list(ld.ts),
        list(ld.visitor),
    )


def test_extending_equals_generating_at_once() -> None:
    stepwise = _world(20)
    stepwise.ensure_time(date_to_ts(ORIGIN) + 45 * DAY - 1)
    at_once = _world(45)
    assert stepwise.data.days == at_once.data.days == 45
    assert _columns(stepwise) == _columns(at_once)
    assert stepwise.medias == at_once.medias
    assert stepwise.data.visitors.keys == at_once.data.visitors.keys


def test_seed_changes_everything() -> None:
    assert _world(10, seed=1).medias[0].hashed_id != _world(10, seed=2).medias[0].hashed_id


def test_records_are_ordered_unique_and_delayed_realistically() -> None:
    world = _world(120)
    plays = world.data.plays
    ts = list(plays.ts)
    assert ts == sorted(ts) and len(set(ts)) == len(ts)
    delays = [plays.visible_at[i] - plays.ts[i] for i in range(len(plays))]
    assert min(delays) >= 60 and max(delays) <= MAX_DELAY
    late = sum(1 for d in delays if d > DAY) / len(delays)
    assert 0.03 < late < 0.15
    assert sum(1 for d in delays if d <= 2 * 3600) / len(delays) > 0.7
    for k in range(world.data.days):
        start = world.origin_ts + k * DAY
        first, last = plays.day_offsets[k], plays.day_offsets[k + 1]
        assert all(start <= plays.ts[i] < start + DAY for i in range(first, last))
    created = world.data.visitors.created_ts
    assert all(created[plays.visitor[i]] <= plays.ts[i] for i in range(len(plays)))


def test_weekly_seasonality() -> None:
    world = _world(140)
    plays = world.data.plays
    by_weekday: Counter[int] = Counter()
    for k in range(world.data.days):
        weekday = (ORIGIN + dt.timedelta(days=k)).weekday()
        by_weekday[weekday] += plays.day_offsets[k + 1] - plays.day_offsets[k]
    weekdays = sum(by_weekday[d] for d in range(5)) / 5
    weekend = (by_weekday[5] + by_weekday[6]) / 2
    assert weekend < 0.8 * weekdays


def test_media_lifecycle_and_eras() -> None:
    world = _world(200)
    medias = world.medias
    origin_ts = world.origin_ts
    assert any(m.created_ts >= origin_ts + 30 * DAY for m in medias), "new medias keep appearing"
    assert any(len(m.names) > 1 for m in medias), "some are renamed"
    assert any(m.archived_ts for m in medias) and any(m.deleted_ts for m in medias)
    assert Counter(m.type for m in medias).most_common(1)[0][0] == "Video"
    channels = {world.projects[m.project].channel for m in medias}
    assert channels == {"facebook", "youtube", "other"}
    for media in medias:
        assert media.updated_at(origin_ts + 400 * DAY) >= media.created_ts
        assert [t for t, _ in media.names] == sorted(t for t, _ in media.names)
        assert media.changes == sorted(media.changes)
        blocked = [t for t in (media.archived_ts, media.deleted_ts) if t is not None]
        if blocked:
            stop = min(blocked)
            plays = world.data.plays
            assert all(plays.ts[i] < stop for i in plays.by_media[media.index])
    keys = world.data.visitors.keys
    created = world.data.visitors.created_ts
    for v, key in enumerate(keys):
        assert (len(key) == 40) == (created[v] < world.era_ts)
    assert any(len(k) == 40 for k in keys) and any("_" in k for k in keys)
    assert any(i >= 0 for i in world.data.visitors.identifying_event)


def test_demo_preset_size() -> None:
    world = _world(31)
    assert 8 <= len(world.medias) <= 16
    assert 2000 <= len(world.data.plays) <= 6000
    assert 200 <= len(world.data.visitors) <= 500


def test_deletion_override_changes_only_the_future() -> None:
    base = _world(30)
    victim = base.medias[0]
    at = base.origin_ts + 20 * DAY + 3600
    changed = _world(30, deletions={victim.hashed_id: at})
    cut = next(i for i in range(len(base.data.plays)) if base.data.plays.ts[i] > at)
    assert _columns(base, cut)[:6] == _columns(changed, cut)[:6]
    plays = changed.data.plays
    assert all(plays.ts[i] < at for i in plays.by_media[victim.index])
    assert changed.medias[0].deleted_ts == at
