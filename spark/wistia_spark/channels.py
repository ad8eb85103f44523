"""Which marketing channel a media belongs to, from its project name and tags.

Wistia has no channel field: the team files Facebook and YouTube campaign videos in projects (and tags)
named after the channel. Word matches only, so "Playbook" is not Facebook and "Youthful" is not YouTube.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FACEBOOK = "facebook"
YOUTUBE = "youtube"
OTHER = "other"

_RULES = (
    (FACEBOOK, re.compile(r"\b(facebook|fb|meta ads)\b", re.IGNORECASE)),
    (YOUTUBE, re.compile(r"\b(youtube|yt)\b", re.IGNORECASE)),
)


def channel_for(project_name: str, tags: Iterable[str] = ()) -> str:
    """Project name decides first; tags break the tie for medias in neutral projects."""
    for text in (project_name, *tags):
        for channel, pattern in _RULES:
            if pattern.search(text or ""):
                return channel
    return OTHER


def channel_column(project_name: Any, tags: Any) -> Any:
    """The same rule as `channel_for`, as a Spark column over a project name and an array of tag names."""
    from pyspark.sql import functions as F  # noqa: PLC0415 - Spark stays optional for channel_for's callers

    patterns = {channel: "(?i)" + pattern.pattern for channel, pattern in _RULES}
    texts = F.concat(
        F.array(F.coalesce(project_name, F.lit(""))), F.coalesce(tags, F.array().cast("array<string>"))
    )
    any_rule = "|".join(f"({pattern})" for pattern in patterns.values())
    first = F.element_at(F.filter(texts, lambda text: text.rlike(any_rule)), 1)
    decided = F.lit(OTHER)
    for channel, pattern in reversed(list(patterns.items())):
        decided = F.when(first.rlike(pattern), F.lit(channel)).otherwise(decided)
    return F.when(first.isNull(), F.lit(OTHER)).otherwise(decided)
