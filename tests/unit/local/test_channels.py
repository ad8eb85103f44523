from __future__ import annotations

import pytest

from wistia_spark.channels import FACEBOOK, OTHER, YOUTUBE, channel_for


@pytest.mark.parametrize(
    ("project", "tags", "expected"),
    [
        ("FB - Spring Promo", [], FACEBOOK),
        ("Facebook Campaign Q3", [], FACEBOOK),
        ("YouTube Ads - Launch", [], YOUTUBE),
        ("yt pre-roll", [], YOUTUBE),
        ("Webinars", [], OTHER),
        ("Playbook", [], OTHER),
        ("Youthful Energy", [], OTHER),
        ("Product videos", ["youtube"], YOUTUBE),
        ("Facebook Retargeting", ["youtube"], FACEBOOK),
        ("", [], OTHER),
    ],
)
def test_channel_for(project: str, tags: list[str], expected: str) -> None:
    assert channel_for(project, tags) == expected
