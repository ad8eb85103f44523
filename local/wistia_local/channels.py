"""Which marketing channel a media belongs to, from its project name and tags.

Wistia has no channel field: the team files Facebook and YouTube campaign videos in projects (and tags)
named after the channel. Word matches only, so "Playbook" is not Facebook and "Youthful" is not YouTube.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
