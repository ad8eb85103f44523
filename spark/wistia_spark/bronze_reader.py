"""Read a run's bronze objects into DataFrames of (source_key, record_index, raw, record).

Only what the run's manifest and parts list is read: a unit that failed half-way wrote no part, so its
objects are never seen. Every leaf is read as a string (the raw JSON text of numbers, booleans and even
objects), so one odd value (`lat: "<redacted>"`, `conversion_data: ""`) cannot null a whole record: the
builders cast and validate each field and quarantine what does not fit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

_USER_AGENT = "struct<browser:string, browser_version:string, platform:string, mobile:string>"

RAW_SCHEMAS = {
    "medias": (
        "struct<hashed_id:string, id:string, name:string, type:string, section:string, duration:string, "
        "status:string, archived:string, created:string, updated:string, "
        "project:struct<hashed_id:string, id:string, name:string>, tags:array<struct<name:string>>>"
    ),
    "media_stats": (
        "struct<load_count:string, play_count:string, play_rate:string, hours_watched:string, "
        "engagement:string, visitors:string>"
    ),
    "media_engagement": (
        "struct<engagement:string, engagement_data:array<string>, rewatch_data:array<string>>"
    ),
    "media_by_date": "struct<date:string, load_count:string, play_count:string, hours_watched:string>",
    "events": (
        "struct<event_key:string, received_at:string, visitor_key:string, embed_url:string, "
        "percent_viewed:string, ip:string, org:string, country:string, region:string, city:string, "
        "lat:string, lon:string, email:string, media_id:string, media_name:string, "
        "iframe_heatmap_url:string, conversion_type:string, conversion_data:string, "
        f"user_agent_details:{_USER_AGENT}>"
    ),
    "visitors": (
        "struct<visitor_key:string, created_at:string, last_active_at:string, last_event_key:string, "
        "identifying_event_key:string, load_count:string, play_count:string, "
        "visitor_identity:struct<name:string, email:string, org:struct<name:string, title:string>>, "
        f"user_agent_details:{_USER_AGENT}>"
    ),
}
# Objects holding one JSON object rather than an array of them.
SINGLE_OBJECT = frozenset({"media_stats", "media_engagement"})
ENTITY_SCHEMA = {"visitors_by_key": "visitors"}


def read_entity(spark: SparkSession, lake_uri: str, entity: str, keys: Iterable[str]) -> DataFrame:
    """Records of one entity from the given object keys (relative to the lake).

    Columns: `source_key`, `record_index` (position in the object's array; -1 when the object itself is
    not valid JSON of the expected shape), `raw` (the record's JSON text), `record` (the parsed struct).
    """
    schema = RAW_SCHEMAS[ENTITY_SCHEMA.get(entity, entity)]
    uris = sorted({f"{lake_uri.rstrip('/')}/{key}" for key in keys})
    if not uris:
        return spark.createDataFrame(
            [], f"source_key string, record_index bigint, raw string, record {schema}"
        )
    files = spark.read.text(uris, wholetext=True).select(
        _relative_key(lake_uri).alias("source_key"), F.col("value").alias("text")
    )
    if entity in SINGLE_OBJECT:
        parsed = F.from_json("text", schema)
        records = files.select(
            "source_key",
            F.when(parsed.isNull(), F.lit(-1)).otherwise(F.lit(0)).cast("bigint").alias("record_index"),
            F.col("text").alias("raw"),
        )
    else:
        elements = F.from_json("text", "array<string>")
        valid = files.where(elements.isNotNull()).select(
            "source_key", F.posexplode(elements).alias("record_index", "raw")
        )
        invalid = files.where(elements.isNull()).select(
            "source_key", F.lit(-1).cast("bigint").alias("record_index"), F.col("text").alias("raw")
        )
        records = valid.select("source_key", F.col("record_index").cast("bigint"), "raw").unionByName(invalid)
    return records.withColumn(
        "record", F.when(F.col("record_index") >= 0, F.from_json("raw", schema)).otherwise(F.lit(None))
    )


def _relative_key(lake_uri: str) -> Any:
    """input_file_name() is a full URI (and `file:/x` locally): keep the key after the lake's root."""
    root = lake_uri.rstrip("/").split("://", 1)[-1].lstrip("/")
    path = F.regexp_replace(F.input_file_name(), r"^[a-zA-Z0-9]+:/+", "")
    return F.regexp_replace(path, "^" + _regex_escape(root) + "/", "")


def _regex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r".^$*+?{}[]\|()" else ch for ch in text)
