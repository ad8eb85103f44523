"""From raw bronze records to table rows: cast, normalise, validate, deduplicate, hash.

Each builder takes the reader's (source_key, record_index, raw, record) frame and returns a `Built`:
`rows` shaped exactly like its TableSpec (unique keys), and `rejects` (the quarantine rows with the first
reason a record failed). Timestamps are parsed from every form the API uses and kept in UTC. Duplicate
business keys keep one row, chosen by a deterministic order, so the same input always gives the same table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from wistia_spark.channels import channel_column
from wistia_spark.tables import (
    DIM_MEDIA,
    DIM_VISITOR,
    FCT_EVENTS,
    FCT_MEDIA_DAILY,
    FCT_MEDIA_ENGAGEMENT,
    QUARANTINE,
    TableSpec,
)

HASHED = "hmac256:"
UNHASHED_PII = "personal data not hashed"


@dataclass
class Built:
    rows: DataFrame
    rejects: DataFrame
    duplicates: int = 0


@dataclass(frozen=True)
class RunInfo:
    run_key: str
    run_id: str
    run_date: dt.date


# -- column helpers --------------------------------------------------------------------------------------


def _ts(col: Column) -> Column:
    return F.to_timestamp(col)


def _long(col: Column) -> Column:
    return col.cast("double").cast("bigint")


def _is_long(col: Column) -> Column:
    number = col.cast("double")
    return number.isNotNull() & (number == F.floor(number)) & (number >= 0)


def _bool(col: Column) -> Column:
    text = F.lower(F.trim(col))
    return F.when(text.isin("true", "1"), True).when(text.isin("false", "0"), False)


def _blank_to_null(col: Column) -> Column:
    return F.when(F.trim(col) == "", None).otherwise(col)


def _not_hashed(col: Column) -> Column:
    """A personal value that is neither absent nor an HMAC: bronze should never hold one."""
    value = _blank_to_null(col)
    return value.isNotNull() & ~value.startswith(HASHED)


def _not_object() -> Column:
    """from_json turns a scalar element into a struct of nulls, so look at the raw text itself."""
    return F.col("record").isNull() | ~F.ltrim(F.col("raw")).startswith("{")


def _key_part(name: str) -> Column:
    return F.regexp_extract("source_key", name + r"=([^/]+?)(?:\.json\.gz|/|$)", 1)


def _first_reason(*checks: tuple[Column, str]) -> Column:
    reason: Column = F.lit(None).cast("string")
    for condition, text in reversed(checks):
        reason = F.when(condition, F.lit(text)).otherwise(reason)
    return reason


def _row_hash(columns: list[str]) -> Column:
    return F.sha2(F.to_json(F.struct(*[F.col(name) for name in columns])), 256)


def _shape(frame: DataFrame, table: TableSpec, run: RunInfo, hash_exclude: tuple[str, ...] = ()) -> DataFrame:
    """Select the table's columns in order, cast to its types, with observed_on and row_hash filled."""
    business = [name for name in table.column_names if name not in ("observed_on", "row_hash", *hash_exclude)]
    frame = frame.withColumn("observed_on", F.lit(run.run_date).cast("date"))
    frame = frame.withColumn("row_hash", _row_hash(business))
    return frame.select(*[F.col(name).cast(kind).alias(name) for name, kind in table.columns])


def _dedupe(frame: DataFrame, keys: tuple[str, ...], order: list[Column | str]) -> tuple[DataFrame, int]:
    ranked = frame.withColumn("_rank", F.row_number().over(Window.partitionBy(*keys).orderBy(*order)))
    ranked = ranked.cache()
    kept = ranked.where("_rank = 1").drop("_rank")
    dropped = ranked.where("_rank > 1").count()
    return kept, dropped


def _split(
    frame: DataFrame, reason: Column, entity: str, run: RunInfo, record_key: Column
) -> tuple[DataFrame, DataFrame]:
    marked = frame.withColumn("_reason", reason).withColumn("_record_key", record_key.cast("string"))
    rejects = marked.where(F.col("_reason").isNotNull()).select(
        F.lit(run.run_key).alias("run_key"),
        F.lit(entity).alias("entity"),
        F.col("source_key"),
        F.col("record_index").cast("bigint"),
        F.col("_record_key").alias("record_key"),
        F.col("_reason").alias("reason"),
        # Never copy a record whose personal data escaped hashing into another table.
        F.when(F.col("_reason") == UNHASHED_PII, F.lit(None)).otherwise(F.col("raw")).alias("payload"),
        F.lit(run.run_date).cast("date").alias("quarantined_on"),
        F.lit(run.run_id).alias("run_id"),
    )
    good = marked.where(F.col("_reason").isNull()).drop("_reason", "_record_key")
    return good, rejects.select(*QUARANTINE.column_names)


# -- builders --------------------------------------------------------------------------------------------


def build_dim_media(records: DataFrame, run: RunInfo) -> Built:
    r = F.col("record")
    media_id = _blank_to_null(r.hashed_id)
    reason = _first_reason(
        (F.col("record_index") < 0, "object is not a JSON array of medias"),
        (_not_object(), "record is not a JSON object"),
        (media_id.isNull(), "missing hashed_id"),
        (r.created.isNotNull() & _ts(r.created).isNull(), "unparseable created timestamp"),
        (r.updated.isNotNull() & _ts(r.updated).isNull(), "unparseable updated timestamp"),
    )
    good, rejects = _split(records, reason, "medias", run, media_id)
    tags = F.filter(F.transform(r.tags, lambda tag: tag["name"]), lambda name: name.isNotNull())
    rows = good.select(
        "source_key",
        "record_index",
        media_id.alias("media_id"),
        _long(r.id).alias("media_numeric_id"),
        r["name"].alias("name"),
        r["type"].alias("media_type"),
        r.project.hashed_id.alias("project_id"),
        r.project["name"].alias("project_name"),
        channel_column(r.project["name"], tags).alias("channel"),
        tags.alias("tags"),
        r.section.alias("section"),
        r.duration.cast("double").alias("duration_seconds"),
        r.status.alias("status"),
        F.coalesce(_bool(r.archived), F.lit(False)).alias("archived"),
        F.lit(False).alias("deleted"),
        _ts(r.created).alias("created_at"),
        _ts(r.updated).alias("updated_at"),
        F.lit(run.run_date).cast("date").alias("first_seen_on"),
        F.lit(run.run_date).cast("date").alias("last_seen_on"),
    )
    rows, duplicates = _dedupe(
        rows, ("media_id",), [F.col("updated_at").desc_nulls_last(), "source_key", "record_index"]
    )
    return Built(_shape(rows, DIM_MEDIA, run, hash_exclude=("first_seen_on",)), rejects, duplicates)


def build_media_deletions(known_ids: DataFrame, listed: DataFrame, run: RunInfo) -> DataFrame:
    """Rows that flag medias a full listing no longer shows (known_ids: media_id of live dim rows)."""
    gone = known_ids.select("media_id").subtract(listed.select("media_id"))
    flagged = gone.select(
        "media_id",
        F.lit(True).alias("deleted"),
        F.lit(run.run_date).cast("date").alias("observed_on"),
        F.sha2(F.concat(F.col("media_id"), F.lit(":deleted")), 256).alias("row_hash"),
    )
    others = [
        F.lit(None).cast(kind).alias(name)
        for name, kind in DIM_MEDIA.columns
        if name not in ("media_id", "deleted", "observed_on", "row_hash")
    ]
    return flagged.select(*flagged.columns, *others).select(*DIM_MEDIA.column_names)


def build_fct_media_engagement(stats: DataFrame, engagement: DataFrame, run: RunInfo) -> Built:
    s = F.col("record")
    media_id = _blank_to_null(_key_part("media"))
    reason = _first_reason(
        (F.col("record_index") < 0, "object is not a JSON object of media stats"),
        (media_id.isNull(), "object key names no media"),
        (~_is_long(s.play_count) | ~_is_long(s.load_count), "load or play count is not a whole number"),
    )
    good, rejects = _split(stats, reason, "media_stats", run, media_id)
    totals = good.select(
        "source_key",
        "record_index",
        media_id.alias("media_id"),
        F.to_date(_key_part("snapshot_date")).alias("snapshot_date"),
        _long(s.load_count).alias("load_count"),
        _long(s.play_count).alias("play_count"),
        s.play_rate.cast("double").alias("play_rate"),
        s.hours_watched.cast("double").alias("hours_watched"),
        s.engagement.cast("double").alias("engagement"),
        _long(s.visitors).alias("visitors"),
    )
    e = F.col("record")
    curves = engagement.where("record_index >= 0").select(
        media_id.alias("curve_media_id"),
        F.to_date(_key_part("snapshot_date")).alias("curve_date"),
        F.transform(e.engagement_data, _long).alias("engagement_curve"),
        F.transform(e.rewatch_data, _long).alias("rewatch_curve"),
    )
    curves, _ = _dedupe(curves, ("curve_media_id", "curve_date"), [F.col("curve_media_id")])
    joined = totals.join(
        curves,
        (totals.media_id == curves.curve_media_id) & (totals.snapshot_date == curves.curve_date),
        "left",
    )
    rows, duplicates = _dedupe(joined, ("media_id", "snapshot_date"), ["source_key", "record_index"])
    return Built(_shape(rows, FCT_MEDIA_ENGAGEMENT, run), rejects, duplicates)


def build_fct_media_daily(records: DataFrame, run: RunInfo) -> Built:
    r = F.col("record")
    media_id = _blank_to_null(_key_part("media"))
    stat_date = F.to_date(r.date)
    reason = _first_reason(
        (F.col("record_index") < 0, "object is not a JSON array of daily rows"),
        (_not_object(), "record is not a JSON object"),
        (media_id.isNull(), "object key names no media"),
        (stat_date.isNull(), "missing or unparseable date"),
        (~_is_long(r.load_count) | ~_is_long(r.play_count), "load or play count is not a whole number"),
        (r.hours_watched.cast("double") < 0, "negative hours watched"),
    )
    good, rejects = _split(records, reason, "media_by_date", run, F.concat_ws("/", media_id, r.date))
    rows = good.select(
        "source_key",
        "record_index",
        media_id.alias("media_id"),
        stat_date.alias("stat_date"),
        F.date_format(stat_date, "yyyy-MM").alias("stat_month"),
        _long(r.load_count).alias("load_count"),
        _long(r.play_count).alias("play_count"),
        F.coalesce(r.hours_watched.cast("double"), F.lit(0.0)).alias("hours_watched"),
    )
    rows, duplicates = _dedupe(rows, ("media_id", "stat_date"), ["source_key", "record_index"])
    return Built(_shape(rows, FCT_MEDIA_DAILY, run), rejects, duplicates)


def build_fct_events(records: DataFrame, run: RunInfo) -> Built:
    r = F.col("record")
    derived_key = _blank_to_null(F.regexp_extract(r.iframe_heatmap_url, r"/stats/events/([^/]+)/", 1))
    event_key = F.coalesce(_blank_to_null(r.event_key), derived_key)
    received_at = _ts(r.received_at)
    source_day = F.to_date(_blank_to_null(_key_part("day")))
    percent = r.percent_viewed.cast("double")
    conversion_email = F.get_json_object(r.conversion_data, "$.email")
    reason = _first_reason(
        (F.col("record_index") < 0, "object is not a JSON array of events"),
        (_not_object(), "record is not a JSON object"),
        (event_key.isNull(), "missing event_key"),
        (received_at.isNull(), "missing or unparseable received_at"),
        (
            # An account-timezone day bucket (docs/client.md) reaches at most 14 h into a UTC neighbour.
            source_day.isNotNull() & (F.abs(F.datediff(F.to_date(received_at), source_day)) > 1),
            "received more than a day from the day asked for",
        ),
        (_blank_to_null(r.media_id).isNull(), "missing media_id"),
        (percent.isNull() | (percent < 0) | (percent > 1), "percent_viewed not between 0 and 1"),
        (_not_hashed(r.ip) | _not_hashed(r.email) | _not_hashed(conversion_email), UNHASHED_PII),
    )
    good, rejects = _split(records, reason, "events", run, event_key)
    conversion_type = _blank_to_null(r.conversion_type)
    ua = r.user_agent_details
    rows = good.select(
        "source_key",
        "record_index",
        event_key.alias("event_key"),
        received_at.alias("received_at"),
        F.to_date(received_at).alias("event_date"),
        r.media_id.alias("media_id"),
        r.media_name.alias("media_name"),
        _blank_to_null(r.visitor_key).alias("visitor_key"),
        percent.alias("percent_viewed"),
        r.embed_url.alias("embed_url"),
        _blank_to_null(r.country).alias("country"),
        _blank_to_null(r.region).alias("region"),
        _blank_to_null(r.city).alias("city"),
        r.lat.cast("double").alias("lat"),
        r.lon.cast("double").alias("lon"),
        _blank_to_null(r.org).alias("org"),
        _blank_to_null(r.ip).alias("ip_hash"),
        _blank_to_null(r.email).alias("email_hash"),
        conversion_type.alias("conversion_type"),
        (
            _blank_to_null(conversion_email).isNotNull()
            | (conversion_type.isNotNull() & (conversion_type != "0"))
        ).alias("is_conversion"),
        _blank_to_null(conversion_email).alias("conversion_email_hash"),
        ua.browser.alias("browser"),
        ua.browser_version.alias("browser_version"),
        ua.platform.alias("platform"),
        _bool(ua.mobile).alias("is_mobile"),
    )
    rows, duplicates = _dedupe(rows, ("event_key",), ["source_key", "record_index"])
    return Built(_shape(rows, FCT_EVENTS, run), rejects, duplicates)


def build_dim_visitor(records: DataFrame, run: RunInfo) -> Built:
    r = F.col("record")
    visitor_key = _blank_to_null(r.visitor_key)
    identity = r.visitor_identity
    reason = _first_reason(
        (F.col("record_index") < 0, "object is not a JSON array of visitors"),
        (_not_object(), "record is not a JSON object"),
        (visitor_key.isNull(), "missing visitor_key"),
        (
            _not_hashed(identity["name"])
            | _not_hashed(identity.email)
            | _not_hashed(identity.org["name"])
            | _not_hashed(identity.org.title),
            UNHASHED_PII,
        ),
    )
    good, rejects = _split(records, reason, "visitors", run, visitor_key)
    email_hash = _blank_to_null(identity.email)
    name_hash = _blank_to_null(identity["name"])
    ua = r.user_agent_details
    rows = good.select(
        "source_key",
        "record_index",
        visitor_key.alias("visitor_key"),
        _ts(r.created_at).alias("created_at"),
        _ts(r.last_active_at).alias("last_active_at"),
        _blank_to_null(r.last_event_key).alias("last_event_key"),
        _blank_to_null(r.identifying_event_key).alias("identifying_event_key"),
        _long(r.load_count).alias("load_count"),
        _long(r.play_count).alias("play_count"),
        ua.browser.alias("browser"),
        ua.browser_version.alias("browser_version"),
        ua.platform.alias("platform"),
        _bool(ua.mobile).alias("is_mobile"),
        (email_hash.isNotNull() | name_hash.isNotNull()).alias("is_identified"),
        email_hash.alias("email_hash"),
        name_hash.alias("name_hash"),
        _blank_to_null(identity.org["name"]).alias("org_name_hash"),
        _blank_to_null(identity.org.title).alias("org_title_hash"),
    )
    rows, duplicates = _dedupe(
        rows,
        ("visitor_key",),
        [F.col("last_active_at").desc_nulls_last(), F.col("play_count").desc_nulls_last(), "source_key"],
    )
    return Built(_shape(rows, DIM_VISITOR, run), rejects, duplicates)


def empty_rejects(spark: Any) -> DataFrame:
    empty: DataFrame = spark.createDataFrame([], QUARANTINE.ddl)
    return empty
