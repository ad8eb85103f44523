"""The SparkSession: UTC everywhere, small shuffles for nightly volumes, and local settings for tests."""

from __future__ import annotations

from typing import Any

from pyspark.sql import SparkSession


def build_session(app_name: str, *, local: bool = False) -> Any:
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
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
