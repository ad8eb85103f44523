"""Day-by-day generation of the synthetic account.

Day k is generated from `random.Random("<world tag>:day:<k>")` and the state left by days < k, so
generating up to day 40 and later extending to day 50 gives exactly what generating to day 50 at once
gives: the world is a function of (seed, preset, origin) and the clock only decides what is visible.
Deletion overrides (`WistiaSimulator.delete_media`) take effect at their time and only change what
happens after it.
"""

from __future__ import annotations

import bisect
import math
import random
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate

from wistia_simulator import catalog, ids
from wistia_simulator.model import (
    DAY,
    FLAG_IDENTIFYING,
    FLAG_INT_CONVERSION_TYPE,
    Loads,
    Media,
    Plays,
    Project,
    Visitors,
)
from wistia_simulator.presets import Preset

MAX_DELAY = 3 * DAY
"""Upper bound of a record's visibility delay: a day is settled MAX_DELAY after it ends."""
LEGACY_ERA_SHARE = 0.4
"""The first 40% of the preset's history uses old-era shapes (40-hex visitor keys, `<ms>e0.<r>` event
keys, `Z` timestamps, conversion_data "")."""

_HOUR_CUM = list(accumulate(catalog.HOUR_WEIGHTS))
_UA_CUM = list(accumulate(ua[4] for ua in catalog.USER_AGENTS))
_GEO_CUM = list(accumulate(g[6] for g in catalog.GEO))


@dataclass(slots=True)
class WorldData:
    tag: str
    """Seeds every random stream: "<seed>:<preset>:<origin>"."""
    preset: Preset
    origin_ts: int
    era_ts: int
    projects: list[Project] = field(default_factory=list)
    medias: list[Media] = field(default_factory=list)
    visitors: Visitors = field(default_factory=Visitors)
    plays: Plays = field(default_factory=Plays)
    loads: Loads = field(default_factory=Loads)
    days: int = 0
    """Days generated so far (day indices 0 .. days-1)."""
    recent_visitor_window: int = 0

    def day_start(self, k: int) -> int:
        return self.origin_ts + k * DAY


def _count(rng: random.Random, rate: float) -> int:
    whole = int(rate)
    return whole + (1 if rng.random() < rate - whole else 0)


def _delay(rng: random.Random) -> int:
    u = rng.random()
    if u < 0.80:
        return rng.randint(60, 2 * 3600)
    if u < 0.93:
        return rng.randint(2 * 3600, DAY)
    return rng.randint(DAY, MAX_DELAY)


class DayGenerator:
    """Appends one day at a time to a WorldData."""

    def __init__(self, data: WorldData, deletions: Mapping[str, int]) -> None:
        self.data = data
        self.deletions = dict(deletions)
        self._by_hashed: dict[str, Media] = {}

    def generate_day(self) -> None:
        d = self.data
        k = d.days
        rng = random.Random(f"wistia-sim:{d.tag}:day:{k}")
        start = d.day_start(k)
        if k == 0:
            self._create_projects(rng, start)
            uploads = [start + rng.randint(6 * 3600, 12 * 3600) for _ in range(d.preset.initial_medias)]
        else:
            count = _count(rng, d.preset.new_medias_per_day)
            uploads = [start + rng.randint(0, DAY - 1) for _ in range(count)]
        for created in sorted(uploads):  # ids grow with creation time
            self._create_media(rng, created)
        self._apply_overrides(start)
        self._lifecycle(rng, start)
        self._records(rng, k, start)
        d.days += 1

    # -- projects and medias ---------------------------------------------------------------------

    def _create_projects(self, rng: random.Random, start: int) -> None:
        d = self.data
        n = d.preset.projects
        channels = [catalog.FACEBOOK, catalog.YOUTUBE, catalog.OTHER, catalog.FACEBOOK, catalog.YOUTUBE]
        campaigns = list(catalog.CAMPAIGNS)
        rng.shuffle(campaigns)
        others = list(catalog.OTHER_PROJECTS)
        next_id = 7_440_000 + rng.randint(0, 50_000)
        created = sorted(start + rng.randint(0, 6 * 3600 - 1) for _ in range(n))
        for i in range(n):
            channel = channels[i % len(channels)]
            campaign = campaigns[i % len(campaigns)]
            if channel == catalog.FACEBOOK:
                name = rng.choice(catalog.FACEBOOK_PROJECT_PREFIXES) + campaign
            elif channel == catalog.YOUTUBE:
                name = rng.choice(catalog.YOUTUBE_PROJECT_PREFIXES) + campaign
            else:
                name = others[(i // len(channels)) % len(others)]
                campaign = name
            if i >= len(campaigns) and channel != catalog.OTHER:
                name = f"{name} {2 + i // len(campaigns)}"
            next_id += rng.randint(1, 4000)
            d.projects.append(
                Project(
                    index=i,
                    id=next_id,
                    hashed_id=ids.hashed_id(d.tag, "project", i),
                    name=name,
                    channel=channel,
                    campaign=campaign,
                    description=rng.choice(catalog.PROJECT_DESCRIPTIONS),
                    public=rng.random() < 0.6,
                    created_ts=created[i],
                )
            )

    def _create_media(self, rng: random.Random, created: int) -> None:
        d = self.data
        index = len(d.medias)
        # the first uploads go one per project, so every project has some content
        pick = rng.randrange(len(d.projects))
        project = d.projects[index if index < len(d.projects) else pick]
        u = rng.random()
        kind = "Video" if u < 0.86 else ("Audio" if u < 0.93 else "Image")
        templates: tuple[str, ...]
        if kind == "Audio":
            templates = catalog.AUDIO_TEMPLATES
        elif kind == "Image":
            templates = catalog.IMAGE_TEMPLATES
        elif project.channel == catalog.FACEBOOK:
            templates = catalog.FACEBOOK_MEDIA_TEMPLATES
        elif project.channel == catalog.YOUTUBE:
            templates = catalog.YOUTUBE_MEDIA_TEMPLATES
        else:
            templates = catalog.OTHER_MEDIA_TEMPLATES
        day = self._date_parts(created)
        name = rng.choice(templates).format(
            campaign=project.campaign,
            project=project.name,
            length=rng.choice((6, 15, 30, 45, 60)),
            version=rng.randint(1, 9),
            m=day[1],
            d=day[2],
            y=day[0],
        )
        if rng.random() < 0.05:
            name = " " + name  # real names carry stray whitespace
        duration: float | None
        if kind == "Image":
            duration = None
        elif kind == "Audio":
            duration = round(rng.uniform(60, 1800), 3)
        elif project.channel == catalog.OTHER:
            duration = round(rng.uniform(120, 3600), 3)
        else:
            duration = round(rng.uniform(6, 480), rng.choice((0, 2, 3)))
        tags = (*catalog.CHANNEL_TAGS[project.channel], project.campaign.lower().replace(" ", "-"))
        media_id = (d.medias[-1].id if d.medias else 89_700_000 + rng.randint(0, 90_000)) + rng.randint(
            1, 25_000
        )
        media = Media(
            index=index,
            id=media_id,
            hashed_id=ids.hashed_id(d.tag, "media", index),
            project=project.index,
            type=kind,
            channel=project.channel,
            campaign=project.campaign,
            created_ts=created,
            ready_ts=created + rng.randint(20, 600),
            duration=duration,
            description=rng.choice(("", "", "", f"<p>{project.campaign} creative.</p>\n")),
            section=rng.choice(catalog.SECTIONS) if rng.random() < 0.3 else None,
            tags=tags if rng.random() < 0.85 else (),
            popularity=rng.lognormvariate(0.0, 0.9) * (0.3 if kind == "Image" else 1.0),
            play_prob=0.0 if kind == "Image" else rng.uniform(0.3, 0.7),
            engagement_mean=rng.uniform(0.25, 0.7),
            names=[(created, name)],
        )
        d.medias.append(media)
        self._by_hashed[media.hashed_id] = media
        bisect.insort(project.media_changes, created)

    @staticmethod
    def _date_parts(ts: int) -> tuple[int, int, int]:
        days = ts // DAY
        # civil-from-days (Howard Hinnant), avoids datetime in the hot path
        z = days + 719468
        era = z // 146097
        doe = z - era * 146097
        yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
        doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
        mp = (5 * doy + 2) // 153
        dd = doy - (153 * mp + 2) // 5 + 1
        mm = mp + 3 if mp < 10 else mp - 9
        return (yoe + era * 400 + (1 if mm <= 2 else 0), mm, dd)

    def _apply_overrides(self, start: int) -> None:
        for hashed, at in self.deletions.items():
            media = self._by_hashed.get(hashed)
            if media is not None and start <= at < start + DAY:
                self._delete(media, at)

    def _delete(self, media: Media, at: int) -> None:
        if media.deleted_ts is not None and media.deleted_ts <= at:
            return
        media.deleted_ts = at
        project = self.data.projects[media.project]
        bisect.insort(project.media_changes, at)

    def _lifecycle(self, rng: random.Random, start: int) -> None:
        """Renames, archiving and deletions of medias uploaded before today, applied in time order."""
        d = self.data
        candidates = [m for m in d.medias if m.created_ts < start and m.exists_at(start)]
        if not candidates:
            return
        preset = d.preset
        actions: list[tuple[int, str, Media, str]] = []
        for kind, rate in (
            ("rename", preset.renames_per_day),
            ("archive", preset.archives_per_day),
            ("delete", preset.deletions_per_day),
        ):
            for _ in range(_count(rng, rate)):
                media = rng.choice(candidates)
                at = start + rng.randint(0, DAY - 1)
                actions.append((at, kind, media, rng.choice(catalog.RENAME_SUFFIXES)))
        actions.sort(key=lambda action: (action[0], action[1], action[2].index))
        for at, kind, media, suffix in actions:
            if not media.exists_at(at):
                continue
            if kind == "rename":
                media.names.append((at, media.names[-1][1] + suffix))
                bisect.insort(media.changes, at)
            elif kind == "archive" and media.archived_ts is None:
                media.archived_ts = at
                bisect.insort(media.changes, at)
            elif kind == "delete" and media.created_ts < start - 3 * DAY:
                self._delete(media, at)

    # -- plays and loads ---------------------------------------------------------------------------

    def _records(self, rng: random.Random, k: int, start: int) -> None:
        d = self.data
        plays, loads = d.plays, d.loads
        end = start + DAY
        candidates = [
            m
            for m in d.medias
            if m.created_ts < end
            and (m.deleted_ts is None or m.deleted_ts > start)
            and (m.archived_ts is None or m.archived_ts > start)
        ]
        day_media: dict[int, array[int]] = {}
        while len(plays.by_media) < len(d.medias):
            plays.by_media.append(array("q"))
        if candidates:
            new_plays = self._impressions(rng, k, start, candidates)
            self._append_plays(rng, new_plays, day_media)
        plays.day_media.append(day_media)
        plays.day_offsets.append(len(plays.ts))
        loads.day_offsets.append(len(loads.ts))

    def _impressions(
        self, rng: random.Random, k: int, start: int, candidates: list[Media]
    ) -> list[tuple[int, int, int, float, int]]:
        """Draw the day's loads; store the load-only ones and return the plays, in received order."""
        d = self.data
        loads = d.loads
        end = start + DAY
        weekday = ((start // DAY) + 3) % 7  # 1970-01-01 was a Thursday
        trend = 1.0 + 0.15 * k / 365.0
        expected = d.preset.loads_per_day * catalog.WEEKDAY_FACTORS[weekday] * trend
        n = _count(rng, expected * rng.uniform(0.85, 1.15))
        weights = [
            m.popularity * (1.0 + 2.0 * math.exp(-max(0, start - m.created_ts) / (10 * DAY)))
            for m in candidates
        ]
        chosen = rng.choices(candidates, cum_weights=list(accumulate(weights)), k=n)
        hours = rng.choices(range(24), cum_weights=_HOUR_CUM, k=n)
        stamps = [start + h * 3600 + int(rng.random() * 3600) for h in hours]
        new_plays: list[tuple[int, int, int, float, int]] = []
        used: set[int] = set()
        for loaded_at, j in sorted(zip(stamps, range(n), strict=True)):
            media = chosen[j]
            if not media.live_at(loaded_at):
                continue
            visitor = self._visitor(rng, loaded_at)
            delay = _delay(rng)
            if rng.random() < media.play_prob:
                played_at = self._free_second(used, loaded_at, end)
                created = d.visitors.created_ts
                created[visitor] = min(created[visitor], played_at)
                new_plays.append((played_at, media.index, visitor, self._percent(rng, media), delay))
            else:
                loads.ts.append(loaded_at)
                loads.media.append(media.index)
                loads.visitor.append(visitor)
                loads.visible_at.append(loaded_at + delay)
        new_plays.sort()
        return new_plays

    def _append_plays(
        self,
        rng: random.Random,
        new_plays: list[tuple[int, int, int, float, int]],
        day_media: dict[int, array[int]],
    ) -> None:
        d = self.data
        plays = d.plays
        for ts, media_index, visitor, percent, delay in new_plays:
            index = len(plays.ts)
            flags = 0
            if ts < d.era_ts:
                if rng.random() < 0.3:
                    flags |= FLAG_INT_CONVERSION_TYPE
            elif d.visitors.lead[visitor] and d.visitors.identifying_event[visitor] < 0:
                flags |= FLAG_IDENTIFYING
                d.visitors.identifying_event[visitor] = index
            plays.ts.append(ts)
            plays.media.append(media_index)
            plays.visitor.append(visitor)
            plays.percent.append(percent)
            plays.visible_at.append(ts + delay)
            plays.flags.append(flags)
            d.visitors.events[visitor].append(index)
            plays.by_media[media_index].append(index)
            bucket = day_media.get(media_index)
            if bucket is None:
                bucket = day_media[media_index] = array("q")
            bucket.append(index)

    @staticmethod
    def _free_second(used: set[int], ts: int, end: int) -> int:
        """No two plays share a received second (so received_at alone orders events)."""
        probe = ts
        while probe in used and probe + 1 < end:
            probe += 1
        while probe in used:
            probe -= 1
        used.add(probe)
        return probe

    def _percent(self, rng: random.Random, media: Media) -> float:
        mean = media.engagement_mean
        if rng.random() < 0.25 * mean:
            return 1.0
        return float(rng.random() ** (1.0 / mean - 1.0))

    def _visitor(self, rng: random.Random, ts: int) -> int:
        d = self.data
        v = d.visitors
        n = len(v)
        if n == 0 or rng.random() < d.preset.new_visitor_share:
            index = n
            if ts < d.era_ts:
                key = ids.legacy_visitor_key(d.tag, index)
            else:
                key = ids.modern_key(ts, d.tag, "visitor", index)
            v.keys.append(key)
            v.created_ts.append(ts)
            v.user_agent.append(rng.choices(range(len(catalog.USER_AGENTS)), cum_weights=_UA_CUM)[0])
            v.geo.append(rng.choices(range(len(catalog.GEO)), cum_weights=_GEO_CUM)[0])
            v.lead.append(1 if rng.random() < d.preset.lead_share else 0)
            v.identifying_event.append(-1)
            v.events.append(array("q"))
            return index
        if rng.random() < 0.5:
            recent = max(1, n // 10)
            return n - 1 - rng.randrange(recent)
        return rng.randrange(n)
