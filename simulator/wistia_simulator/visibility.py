"""What the API shows as of a simulated time T: the visible records and their aggregates.

A record is visible at T once `visible_at <= T` (received_at plus a delay of a minute to three days).
Days that ended more than MAX_DELAY before T are *settled*: all their records are visible, so their
aggregates are accumulated once in a `SettledTally` and only extended as the clock moves forward. The
few unsettled days are scanned per T into an `Overlay`. A `Snapshot` joins both; every number the API
serves as of T comes from one Snapshot, so stats, daily rows, visitors and events always agree.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from wistia_simulator.generator import MAX_DELAY
from wistia_simulator.model import DAY
from wistia_simulator.world import World


@dataclass(slots=True)
class SettledTally:
    days: int = 0
    m_loads: list[int] = field(default_factory=list)
    m_plays: list[int] = field(default_factory=list)
    m_secs: list[float] = field(default_factory=list)
    m_percent: list[float] = field(default_factory=list)
    m_visitors: list[set[int]] = field(default_factory=list)
    m_players: list[set[int]] = field(default_factory=list)
    v_loads: array[int] = field(default_factory=lambda: array("q"))
    v_plays: array[int] = field(default_factory=lambda: array("q"))
    v_last: array[int] = field(default_factory=lambda: array("q"))

    def copy(self) -> SettledTally:
        return SettledTally(
            days=self.days,
            m_loads=list(self.m_loads),
            m_plays=list(self.m_plays),
            m_secs=list(self.m_secs),
            m_percent=list(self.m_percent),
            m_visitors=[set(s) for s in self.m_visitors],
            m_players=[set(s) for s in self.m_players],
            v_loads=array("q", self.v_loads),
            v_plays=array("q", self.v_plays),
            v_last=array("q", self.v_last),
        )

    def _grow(self, medias: int, visitors: int) -> None:
        while len(self.m_loads) < medias:
            self.m_loads.append(0)
            self.m_plays.append(0)
            self.m_secs.append(0.0)
            self.m_percent.append(0.0)
            self.m_visitors.append(set())
            self.m_players.append(set())
        missing = visitors - len(self.v_loads)
        if missing > 0:
            self.v_loads.extend([0] * missing)
            self.v_plays.extend([0] * missing)
            self.v_last.extend([-1] * missing)

    def extend_to(self, world: World, days: int) -> None:
        data = world.data
        plays, loads, medias = data.plays, data.loads, data.medias
        self._grow(len(medias), len(data.visitors))
        durations = [m.duration or 0.0 for m in medias]
        for k in range(self.days, days):
            for i in range(plays.day_offsets[k], plays.day_offsets[k + 1]):
                m = plays.media[i]
                v = plays.visitor[i]
                p = plays.percent[i]
                self.m_loads[m] += 1
                self.m_plays[m] += 1
                self.m_secs[m] += p * durations[m]
                self.m_percent[m] += p
                self.m_visitors[m].add(v)
                self.m_players[m].add(v)
                self.v_loads[v] += 1
                self.v_plays[v] += 1
                self.v_last[v] = i
            for j in range(loads.day_offsets[k], loads.day_offsets[k + 1]):
                m = loads.media[j]
                v = loads.visitor[j]
                self.m_loads[m] += 1
                self.m_visitors[m].add(v)
                self.v_loads[v] += 1
        self.days = max(self.days, days)


@dataclass(slots=True)
class Overlay:
    """Visible records of the unsettled days [first_day, last_day]."""

    first_day: int
    last_day: int
    m_loads: dict[int, int] = field(default_factory=dict)
    m_plays: dict[int, int] = field(default_factory=dict)
    m_secs: dict[int, float] = field(default_factory=dict)
    m_percent: dict[int, float] = field(default_factory=dict)
    m_new_visitors: dict[int, set[int]] = field(default_factory=dict)
    m_new_players: dict[int, set[int]] = field(default_factory=dict)
    v_loads: dict[int, int] = field(default_factory=dict)
    v_plays: dict[int, int] = field(default_factory=dict)
    v_last: dict[int, int] = field(default_factory=dict)
    daily: dict[int, dict[int, list[float]]] = field(default_factory=dict)


def _settled_days(world: World, at: int) -> int:
    return max(0, min(world.data.days, (at - MAX_DELAY - world.origin_ts) // DAY))


def _build_overlay(world: World, settled: SettledTally, at: int) -> Overlay:
    data = world.data
    plays, loads, medias = data.plays, data.loads, data.medias
    last_day = min(world.day_index(at), data.days - 1)
    overlay = Overlay(first_day=settled.days, last_day=last_day)
    for k in range(settled.days, last_day + 1):
        day: dict[int, list[float]] = {}
        overlay.daily[k] = day
        for i in range(plays.day_offsets[k], plays.day_offsets[k + 1]):
            if plays.visible_at[i] > at:
                continue
            m, v, p = plays.media[i], plays.visitor[i], plays.percent[i]
            secs = p * (medias[m].duration or 0.0)
            overlay.m_loads[m] = overlay.m_loads.get(m, 0) + 1
            overlay.m_plays[m] = overlay.m_plays.get(m, 0) + 1
            overlay.m_secs[m] = overlay.m_secs.get(m, 0.0) + secs
            overlay.m_percent[m] = overlay.m_percent.get(m, 0.0) + p
            if m >= len(settled.m_visitors) or v not in settled.m_visitors[m]:
                overlay.m_new_visitors.setdefault(m, set()).add(v)
            if m >= len(settled.m_players) or v not in settled.m_players[m]:
                overlay.m_new_players.setdefault(m, set()).add(v)
            overlay.v_loads[v] = overlay.v_loads.get(v, 0) + 1
            overlay.v_plays[v] = overlay.v_plays.get(v, 0) + 1
            if i > overlay.v_last.get(v, -1):
                overlay.v_last[v] = i
            row = day.setdefault(m, [0, 0, 0.0])
            row[0] += 1
            row[1] += 1
            row[2] += secs
        for j in range(loads.day_offsets[k], loads.day_offsets[k + 1]):
            if loads.visible_at[j] > at:
                continue
            m, v = loads.media[j], loads.visitor[j]
            overlay.m_loads[m] = overlay.m_loads.get(m, 0) + 1
            if m >= len(settled.m_visitors) or v not in settled.m_visitors[m]:
                overlay.m_new_visitors.setdefault(m, set()).add(v)
            overlay.v_loads[v] = overlay.v_loads.get(v, 0) + 1
            day.setdefault(m, [0, 0, 0.0])[0] += 1
    return overlay


@dataclass(frozen=True, slots=True)
class MediaTotals:
    load_count: int
    play_count: int
    seconds_watched: float
    percent_sum: float
    visitors: int
    players: int


@dataclass(frozen=True, slots=True)
class VisitorTotals:
    load_count: int
    play_count: int
    last_play: int
    """Global index of the latest visible play, -1 if none."""


@dataclass(frozen=True, slots=True)
class Engagement:
    plays: int
    percent_sum: float
    engagement_data: list[int]
    rewatch_data: list[int]


class Snapshot:
    """The account as the API shows it at one simulated instant."""

    def __init__(self, world: World, at: int, settled: SettledTally) -> None:
        self.world = world
        self.at = at
        self.settled = settled
        self.overlay = _build_overlay(world, settled, at)
        self.settled_play_end = world.data.plays.day_offsets[settled.days]
        self._engagement: dict[int, Engagement] = {}
        self._listed_visitors: list[int] | None = None

    # -- visibility ---------------------------------------------------------------------------

    def play_visible(self, index: int) -> bool:
        if index < self.settled_play_end:
            return True
        return self.world.data.plays.visible_at[index] <= self.at

    def visible_plays_of_day(self, k: int, media: int | None = None) -> Iterable[int]:
        """Visible plays received on day k, oldest first."""
        plays = self.world.data.plays
        if k < 0 or k > self.overlay.last_day:
            return ()
        if media is None:
            indices: Iterable[int] = range(plays.day_offsets[k], plays.day_offsets[k + 1])
        else:
            indices = plays.day_media[k].get(media, ())
        if k < self.settled.days:
            return indices
        at = self.at
        visible_at = plays.visible_at
        return [i for i in indices if visible_at[i] <= at]

    # -- aggregates ---------------------------------------------------------------------------

    def media_totals(self, m: int) -> MediaTotals:
        s, o = self.settled, self.overlay
        has = m < len(s.m_loads)
        return MediaTotals(
            load_count=(s.m_loads[m] if has else 0) + o.m_loads.get(m, 0),
            play_count=(s.m_plays[m] if has else 0) + o.m_plays.get(m, 0),
            seconds_watched=(s.m_secs[m] if has else 0.0) + o.m_secs.get(m, 0.0),
            percent_sum=(s.m_percent[m] if has else 0.0) + o.m_percent.get(m, 0.0),
            visitors=(len(s.m_visitors[m]) if has else 0) + len(o.m_new_visitors.get(m, ())),
            players=(len(s.m_players[m]) if has else 0) + len(o.m_new_players.get(m, ())),
        )

    def visitor_totals(self, v: int) -> VisitorTotals:
        s, o = self.settled, self.overlay
        has = v < len(s.v_loads)
        last = max(s.v_last[v] if has else -1, o.v_last.get(v, -1))
        return VisitorTotals(
            load_count=(s.v_loads[v] if has else 0) + o.v_loads.get(v, 0),
            play_count=(s.v_plays[v] if has else 0) + o.v_plays.get(v, 0),
            last_play=last,
        )

    def daily(self, m: int, k: int) -> tuple[int, int, float]:
        """(load_count, play_count, seconds watched) of media m on day k, as visible now."""
        if k < 0 or k > self.overlay.last_day:
            return (0, 0, 0.0)
        if k < self.settled.days:
            return self.world.day_aggregate(k).get(m, (0, 0, 0.0))
        row = self.overlay.daily.get(k, {}).get(m)
        return (int(row[0]), int(row[1]), row[2]) if row else (0, 0, 0.0)

    def identified(self, v: int) -> int:
        """Global index of the visible play that identified visitor v, or -1."""
        index = self.world.data.visitors.identifying_event[v]
        return index if index >= 0 and self.play_visible(index) else -1

    def listed_visitors(self) -> list[int]:
        """Visitors with at least one visible play, newest-active first: by their latest visible play
        descending (plays are in received order and no two share a second, so that is last_active_at
        descending), ties (which cannot arise) broken by visitor index descending."""
        if self._listed_visitors is None:
            s, o = self.settled, self.overlay
            count = len(self.world.data.visitors)
            latest = array("q", s.v_last[:count])
            latest.extend([-1] * (count - len(latest)))
            for v, last in o.v_last.items():
                latest[v] = max(latest[v], last)
            # A play has one visitor, so distinct visitors have distinct latest plays: sorting the plays
            # (newest first) orders the visitors, and the tie-break by index never comes into play.
            owner = self.world.data.plays.visitor
            self._listed_visitors = [owner[i] for i in sorted((i for i in latest if i >= 0), reverse=True)]
        return self._listed_visitors

    def engagement(self, m: int) -> Engagement:
        cached = self._engagement.get(m)
        if cached is not None:
            return cached
        world = self.world
        plays = world.data.plays
        duration = world.medias[m].duration
        cells = 0 if duration is None else max(1, min(1000, int(-(-duration // 1))))
        ends = [0] * (cells + 1)
        rewatch = [0] * (cells + 1)
        count = 0
        total = 0.0
        for i in plays.by_media[m] if m < len(plays.by_media) else ():
            if plays.ts[i] > self.at or not self.play_visible(i):
                continue
            p = plays.percent[i]
            count += 1
            total += p
            if not cells:
                continue
            covered = min(cells, round(p * cells))
            ends[covered] += 1
            mix = (i * 2654435761) % 1000003
            if covered >= 10 and mix % 100 < 18:
                first = mix % covered
                length = 1 + (mix // 7) % max(1, covered // 4)
                rewatch[first] += 1
                rewatch[min(covered, first + length)] -= 1
        data = [0] * cells
        remaining = count
        running = 0
        for c in range(cells):
            remaining -= ends[c]
            data[c] = remaining
            running += rewatch[c]
            rewatch[c] = running
        result = Engagement(count, total, data, rewatch[:cells])
        self._engagement[m] = result
        return result


class SnapshotCache:
    """Hands out Snapshots, reusing the settled tally as the clock moves forward."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._lock = threading.Lock()
        self._tally = SettledTally()
        self._snapshots: dict[int, Snapshot] = {}

    def at(self, at: int) -> Snapshot:
        with self._lock:
            cached = self._snapshots.get(at)
            if cached is not None:
                return cached
            self.world.ensure_time(at)
            days = _settled_days(self.world, at)
            if days >= self._tally.days:
                if days > self._tally.days:
                    tally = self._tally.copy()  # snapshots in use keep the old one intact
                    tally.extend_to(self.world, days)
                    self._tally = tally
                tally = self._tally
            else:  # an instant before the cached tally (ground truth of the past): start afresh
                tally = SettledTally()
                tally.extend_to(self.world, days)
            snapshot = Snapshot(self.world, at, tally)
            if len(self._snapshots) >= 4:
                self._snapshots.pop(next(iter(self._snapshots)))
            self._snapshots[at] = snapshot
            return snapshot
