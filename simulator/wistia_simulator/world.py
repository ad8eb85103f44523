"""The synthetic account: generated lazily up to the clock, with lookups the API needs."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Mapping

from wistia_simulator import ids
from wistia_simulator.generator import LEGACY_ERA_SHARE, DayGenerator, WorldData
from wistia_simulator.model import DAY, Media, Project
from wistia_simulator.presets import Preset


def date_to_ts(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def ts_to_date(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date()


DayAggregate = dict[int, tuple[int, int, float]]
"""media index -> (load_count, play_count, seconds watched) for one day."""


class World:
    """Deterministic function of (seed, preset, origin) plus any deletion overrides."""

    def __init__(
        self,
        seed: int,
        preset: Preset,
        origin: dt.date,
        deletions: Mapping[str, int] | None = None,
    ) -> None:
        self.seed = seed
        self.preset = preset
        self.origin = origin
        self.deletions: dict[str, int] = dict(deletions or {})
        origin_ts = date_to_ts(origin)
        tag = f"{seed}:{preset.name}:{origin.isoformat()}"
        era_ts = origin_ts + round(preset.history_days * LEGACY_ERA_SHARE) * DAY
        self.data = WorldData(tag=tag, preset=preset, origin_ts=origin_ts, era_ts=era_ts)
        self._generator = DayGenerator(self.data, self.deletions)
        self._lock = threading.RLock()
        self._media_by_key: dict[str, Media] = {}
        self._visitor_by_key: dict[str, int] = {}
        self._day_aggregates: list[DayAggregate | None] = []
        self.public_token = ids.hashed_id(tag, "public_token")

    # -- generation ---------------------------------------------------------------------------

    @property
    def tag(self) -> str:
        return self.data.tag

    @property
    def origin_ts(self) -> int:
        return self.data.origin_ts

    @property
    def era_ts(self) -> int:
        return self.data.era_ts

    def day_index(self, ts: int) -> int:
        return (ts - self.data.origin_ts) // DAY

    def ensure_time(self, ts: int) -> None:
        """Generate every day up to and including the day of `ts`."""
        target = self.day_index(ts) + 1
        if self.data.days >= target:
            return
        with self._lock:
            while self.data.days < target:
                self._generator.generate_day()
            for media in self.data.medias[len(self._media_by_key) :]:
                self._media_by_key[media.hashed_id] = media
            keys = self.data.visitors.keys
            for index in range(len(self._visitor_by_key), len(keys)):
                self._visitor_by_key[keys[index]] = index

    # -- lookups ------------------------------------------------------------------------------

    @property
    def projects(self) -> list[Project]:
        return self.data.projects

    @property
    def medias(self) -> list[Media]:
        return self.data.medias

    def media_by_hashed_id(self, hashed_id: str) -> Media | None:
        return self._media_by_key.get(hashed_id)

    def media_by_id_or_hashed_id(self, key: str) -> Media | None:
        media = self._media_by_key.get(key)
        if media is None and key.isdigit():
            numeric = int(key)
            medias = self.data.medias
            i = bisect.bisect_left(medias, numeric, key=lambda m: m.id)
            if i < len(medias) and medias[i].id == numeric:
                media = medias[i]
        return media

    def visitor_by_key(self, key: str) -> int | None:
        return self._visitor_by_key.get(key)

    def event_key(self, index: int) -> str:
        ts = self.data.plays.ts[index]
        if ts < self.data.era_ts:
            return ids.legacy_event_key(ts, self.data.tag, "event", index)
        return ids.modern_key(ts, self.data.tag, "event", index)

    def find_event(self, key: str) -> int | None:
        """Invert an event key without an index: both key shapes carry their received time."""
        ts = self.data.plays.ts
        if "e0." in key:
            head = key.split("e0.", 1)[0]
            if not head.isdigit():
                return None
            lo = hi = int(head) // 1000 + 1
        elif "_" in key:
            head = key.split("_", 1)[0]
            if not head.isdigit():
                return None
            lo, hi = int(head) * 1000, int(head) * 1000 + 999
        else:
            return None
        first = bisect.bisect_left(ts, lo)
        last = bisect.bisect_right(ts, hi)
        for index in range(first, last):
            if self.event_key(index) == key:
                return index
        return None

    def day_aggregate(self, k: int) -> DayAggregate:
        """Everything recorded on day k, visible or not (callers use it only for settled days)."""
        with self._lock:
            while len(self._day_aggregates) <= k:
                self._day_aggregates.append(None)
            cached = self._day_aggregates[k]
            if cached is not None:
                return cached
            plays, loads, medias = self.data.plays, self.data.loads, self.data.medias
            acc: dict[int, list[float]] = {}
            for i in range(plays.day_offsets[k], plays.day_offsets[k + 1]):
                m = plays.media[i]
                row = acc.get(m)
                if row is None:
                    row = acc[m] = [0, 0, 0.0]
                row[0] += 1
                row[1] += 1
                row[2] += plays.percent[i] * (medias[m].duration or 0.0)
            for j in range(loads.day_offsets[k], loads.day_offsets[k + 1]):
                m = loads.media[j]
                row = acc.get(m)
                if row is None:
                    row = acc[m] = [0, 0, 0.0]
                row[0] += 1
            result = {m: (int(r[0]), int(r[1]), r[2]) for m, r in acc.items()}
            self._day_aggregates[k] = result
            return result
