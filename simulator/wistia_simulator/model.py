"""The account's underlying records, stored compactly.

Projects and medias are few and rich, so they are slots dataclasses. Visitors, plays (events) and
load-only impressions are many and uniform, so they live in parallel `array` columns indexed by a
global position; everything shown by the API is derived from these columns on demand.
"""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass, field

DAY = 86_400


@dataclass(slots=True)
class Project:
    index: int
    id: int
    hashed_id: str
    name: str
    channel: str
    campaign: str
    description: str | None
    public: bool
    created_ts: int
    media_changes: list[int] = field(default_factory=list)
    """Times a media was added to or deleted from the project (they move `updated`)."""

    def updated_ts(self, at: int) -> int:
        i = bisect.bisect_right(self.media_changes, at)
        return max(self.created_ts, self.media_changes[i - 1]) if i else self.created_ts


@dataclass(slots=True)
class Media:
    index: int
    id: int
    hashed_id: str
    project: int
    type: str
    channel: str
    campaign: str
    created_ts: int
    ready_ts: int
    duration: float | None
    description: str
    section: str | None
    tags: tuple[str, ...]
    popularity: float
    play_prob: float
    engagement_mean: float
    names: list[tuple[int, str]]
    """(time, name) pairs, the first at creation; a rename appends one."""
    archived_ts: int | None = None
    deleted_ts: int | None = None
    changes: list[int] = field(default_factory=list)
    """Times of changes that move `updated` (renames, archiving), ascending."""

    def exists_at(self, at: int) -> bool:
        return self.created_ts <= at and (self.deleted_ts is None or at < self.deleted_ts)

    def live_at(self, at: int) -> bool:
        """Embeddable at `at`: created, not archived, not deleted (only live medias get traffic)."""
        return (
            self.created_ts < at
            and (self.deleted_ts is None or at < self.deleted_ts)
            and (self.archived_ts is None or at < self.archived_ts)
        )

    def name_at(self, at: int) -> str:
        i = bisect.bisect_right(self.names, (at, "\U0010ffff"))
        return self.names[max(i, 1) - 1][1]

    def updated_at(self, at: int) -> int:
        base = self.ready_ts if at >= self.ready_ts else self.created_ts
        i = bisect.bisect_right(self.changes, at)
        return max(base, self.changes[i - 1]) if i else base


@dataclass(slots=True)
class Visitors:
    keys: list[str] = field(default_factory=list)
    created_ts: array[int] = field(default_factory=lambda: array("q"))
    user_agent: array[int] = field(default_factory=lambda: array("B"))
    geo: array[int] = field(default_factory=lambda: array("B"))
    lead: array[int] = field(default_factory=lambda: array("B"))
    identifying_event: array[int] = field(default_factory=lambda: array("q"))
    """Global index of the play that identified the visitor (email gate), or -1."""
    events: list[array[int]] = field(default_factory=list)
    """Per visitor: global indices of its plays, ascending."""

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(slots=True)
class Plays:
    """Play sessions: the events of /stats/events. Global order is received time ascending, and no two
    plays share a received second, so that order is also the API's order reversed."""

    ts: array[int] = field(default_factory=lambda: array("q"))
    media: array[int] = field(default_factory=lambda: array("i"))
    visitor: array[int] = field(default_factory=lambda: array("i"))
    percent: array[float] = field(default_factory=lambda: array("d"))
    visible_at: array[int] = field(default_factory=lambda: array("q"))
    flags: array[int] = field(default_factory=lambda: array("B"))
    day_offsets: list[int] = field(default_factory=lambda: [0])
    """Plays of day k are [day_offsets[k], day_offsets[k + 1])."""
    day_media: list[dict[int, array[int]]] = field(default_factory=list)
    """Per day: media index -> global indices of its plays that day, ascending."""
    by_media: list[array[int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ts)


@dataclass(slots=True)
class Loads:
    """Load-only impressions: an embed loaded and nobody pressed play. Never served one by one, but
    they count in load_count and visitors."""

    ts: array[int] = field(default_factory=lambda: array("q"))
    media: array[int] = field(default_factory=lambda: array("i"))
    visitor: array[int] = field(default_factory=lambda: array("i"))
    visible_at: array[int] = field(default_factory=lambda: array("q"))
    day_offsets: list[int] = field(default_factory=lambda: [0])


FLAG_IDENTIFYING = 1
"""The play on which the visitor filled the email gate (conversion_data carries the identity)."""
FLAG_INT_CONVERSION_TYPE = 2
"""Old-era play whose conversion_type is the integer 0 instead of ""."""
