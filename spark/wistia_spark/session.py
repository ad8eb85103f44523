"""The SparkSession: UTC everywhere, small shuffles for nightly volumes, and local settings for tests.

Delta is configured by whoever starts Spark (EMR's sparkSubmitParameters, or `conf` for a session started
from Python); the job only reads that configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import SparkSession


def build_session(app_name: str, *, local: bool = False, conf: Mapping[str, str] | None = None) -> Any:
    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
    )
    if local:
        builder = (
            builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", "2g")
            .config("spark.ui.showConsoleProgress", "false")
            # Delta replays its log in 50 partitions by default: on one small machine, 2 is plenty.
            .config("spark.databricks.delta.snapshotPartitions", "2")
        )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
