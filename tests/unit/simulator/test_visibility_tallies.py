"""Snapshot aggregates equal a brute-force count over visible records, whatever path built them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from wistia_simulator import PRESETS
from wistia_simulator.model import DAY
from wistia_simulator.visibility import Snapshot, SnapshotCache
from wistia_simulator.world import World, date_to_ts

ORIGIN = dt.date(2026, 9, 1)


def _brute(
    world: World, at: int
) -> tuple[dict[int, tuple[int, int, int, int]], dict[int, tuple[int, int, int]]]:
    plays, loads = world.data.plays, world.data.loads
    loads_m: dict[int, int] = defaultdict(int)
    plays_m: dict[int, int] = defaultdict(int)
    seen: dict[int, set[int]] = defaultdict(set)
    players: dict[int, set[int]] = defaultdict(set)
    per_visitor: dict[int, list[int]] = defaultdict(lambda: [0, 0, -1])
    for i in range(len(plays)):
        if plays.visible_at[i] <= at:
            m, v = plays.media[i], plays.visitor[i]
            loads_m[m] += 1
            plays_m[m] += 1
            seen[m].add(v)
            players[m].add(v)
            per_visitor[v][0] += 1
            per_visitor[v][1] += 1
            per_visitor[v][2] = max(per_visitor[v][2], i)
    for j in range(len(loads.ts)):
        if loads.visible_at[j] <= at:
            m, v = loads.media[j], loads.visitor[j]
            loads_m[m] += 1
            seen[m].add(v)
            per_visitor[v][0] += 1
    medias = {m: (loads_m[m], plays_m[m], len(seen[m]), len(players[m])) for m in loads_m}
    visitors = {v: (c[0], c[1], c[2]) for v, c in per_visitor.items()}
    return medias, visitors


def _check(snap: Snapshot) -> None:
    medias, visitors = _brute(snap.world, snap.at)
    for m in range(len(snap.world.medias)):
        t = snap.media_totals(m)
        assert (t.load_count, t.play_count, t.visitors, t.players) == medias.get(m, (0, 0, 0, 0))
    for v in range(len(snap.world.data.visitors)):
        t = snap.visitor_totals(v)
        assert (t.load_count, t.play_count, t.last_play) == visitors.get(v, (0, 0, -1))
    # newest-active first: by the latest visible play, descending (ties broken by index, descending)
    listed = sorted((v for v, c in visitors.items() if c[1] > 0), key=lambda v: (visitors[v][2], v))
    assert snap.listed_visitors() == listed[::-1]


def test_snapshots_match_brute_force_at_odd_instants() -> None:
    world = World(3, PRESETS["demo"], ORIGIN)
    cache = SnapshotCache(world)
    start = date_to_ts(ORIGIN)
    for at in (start + 3 * 3600, start + 2 * DAY + 5, start + 9 * DAY + 40_000, start + 30 * DAY + 7):
        _check(cache.at(at))
    _check(cache.at(start + 5 * DAY))  # going back in time takes the fresh path


def test_incremental_and_fresh_paths_agree_exactly() -> None:
    start = date_to_ts(ORIGIN)
    stepped = SnapshotCache(World(3, PRESETS["demo"], ORIGIN))
    for day in range(1, 25):
        stepped.at(start + day * DAY + 21_600)
    fresh = SnapshotCache(World(3, PRESETS["demo"], ORIGIN))
    at = start + 25 * DAY + 21_600
    a, b = stepped.at(at), fresh.at(at)
    for m in range(len(a.world.medias)):
        assert a.media_totals(m) == b.media_totals(m)
        assert a.engagement(m) == b.engagement(m)
        for k in range(26):
            assert a.daily(m, k) == b.daily(m, k)


def test_daily_rows_add_up_to_totals_and_engagement_counts_plays() -> None:
    world = World(5, PRESETS["demo"], ORIGIN)
    at = date_to_ts(ORIGIN) + 20 * DAY + 30_000
    snap = SnapshotCache(world).at(at)
    for media in world.medias:
        rows = [snap.daily(media.index, k) for k in range(21)]
        totals = snap.media_totals(media.index)
        assert sum(r[0] for r in rows) == totals.load_count
        assert sum(r[1] for r in rows) == totals.play_count
        curve = snap.engagement(media.index)
        assert curve.plays == totals.play_count
        if media.duration is not None and totals.play_count:
            assert len(curve.engagement_data) == min(1000, -(-int(media.duration * 1000) // 1000))
            assert curve.engagement_data[0] <= totals.play_count
            assert curve.engagement_data == sorted(curve.engagement_data, reverse=True)
            assert any(curve.rewatch_data)
