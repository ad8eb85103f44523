"""The Spark channel rule agrees with the Python one the probes use."""

from __future__ import annotations

from typing import Any

from wistia_spark.channels import channel_column, channel_for

CASES = [
    ("FB - Spring Promo", []),
    ("Facebook Campaign Q3", []),
    ("YouTube Ads - Launch", []),
    ("yt pre-roll", []),
    ("Webinars", []),
    ("Playbook", []),
    ("Youthful Energy", []),
    ("Product videos", ["youtube"]),
    ("Facebook Retargeting", ["youtube"]),
    ("Internal", ["paid-social", "FB"]),
    ("", []),
    (None, None),
]


def test_spark_and_python_rules_agree(spark: Any) -> None:
    df = spark.createDataFrame(CASES, "project string, tags array<string>")
    got = [row.channel for row in df.select(channel_column(df.project, df.tags).alias("channel")).collect()]
    assert got == [channel_for(project or "", tags or []) for project, tags in CASES]
    assert set(got) == {"facebook", "youtube", "other"}
