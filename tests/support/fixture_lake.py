"""A small hand-written lake: Delta tables with exactly the TableSpec columns, a few rows each.

Shared by the view tests (tests/unit/sql) and the dashboard tests (tests/dashboard). The expected results
there are worked out by hand from these rows; change one and re-derive the others.

Medias (dim_media):
  m_fb1  Spring Promo       facebook
  m_fb2  Retargeting Cut    facebook  deleted (last snapshot 01-05)
  m_new  Fresh Upload       youtube   listed, never snapshotted
  m_oth  Webinar Recording  other     archived; snapshot on 01-05 only (its 01-06 pull failed)
  m_yt1  Launch Teaser      youtube
  m_yt2  Tutorial Part 1    youtube   snapshot on 01-06 only (new that day)
  (m_gone appears in fct_media_daily only: no dim_media row)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import write_deltalake

from wistia_spark.tables import (
    DIM_MEDIA,
    DIM_VISITOR,
    FCT_EVENTS,
    FCT_MEDIA_DAILY,
    FCT_MEDIA_ENGAGEMENT,
    TableSpec,
    table_path,
)

D5 = dt.date(2026, 1, 5)
D6 = dt.date(2026, 1, 6)
T0 = dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC)

_ARROW_TYPES = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "array<string>": pa.list_(pa.field("element", pa.string())),
    "array<bigint>": pa.list_(pa.field("element", pa.int64())),
}  # the Arrow types of the Delta schema (Delta timestamp = Arrow timestamp[us, UTC]; list child "element")


def arrow_schema(spec: TableSpec) -> pa.Schema:
    return pa.schema([pa.field(name, _ARROW_TYPES[kind]) for name, kind in spec.columns])


def arrow_table(spec: TableSpec, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows given by column name; every TableSpec column must be given (None for NULL), no others."""
    for row in rows:
        assert set(row) == set(spec.column_names), set(row) ^ set(spec.column_names)
    schema = arrow_schema(spec)
    return pa.Table.from_pylist(rows, schema=schema)


def write_table(lake: Path, spec: TableSpec, rows: list[dict[str, Any]]) -> None:
    write_deltalake(
        table_path(str(lake), spec),
        arrow_table(spec, rows),
        partition_by=list(spec.partition_by) or None,
    )


def media(media_id: str, name: str, channel: str, *, deleted: bool = False, archived: bool = False) -> dict:
    return {
        "media_id": media_id,
        "media_numeric_id": sum(map(ord, media_id)),
        "name": name,
        "media_type": "Video",
        "project_id": f"p_{channel}",
        "project_name": {"facebook": "FB Ads", "youtube": "YouTube Ads", "other": "Webinars"}[channel],
        "channel": channel,
        "tags": [channel],
        "section": None,
        "duration_seconds": 60.0,
        "status": "ready",
        "archived": archived,
        "deleted": deleted,
        "created_at": T0,
        "updated_at": T0,
        "first_seen_on": D5,
        "last_seen_on": D6,
        "observed_on": D6,
        "row_hash": f"h_{media_id}",
    }


def engagement(  # noqa: PLR0917 - positional, so the row tables below read as tables
    media_id: str,
    day: dt.date,
    loads: int,
    plays: int,
    play_rate: float,
    hours: float,
    engaged: float,
    visitors: int,
) -> dict:
    return {
        "media_id": media_id,
        "snapshot_date": day,
        "load_count": loads,
        "play_count": plays,
        "play_rate": play_rate,
        "hours_watched": hours,
        "engagement": engaged,
        "visitors": visitors,
        "engagement_curve": [10, 8, 5],
        "rewatch_curve": [1, 0, 0],
        "observed_on": day,
        "row_hash": f"h_{media_id}_{day}",
    }


def daily(media_id: str, day: dt.date, loads: int, plays: int, hours: float) -> dict:
    return {
        "media_id": media_id,
        "stat_date": day,
        "stat_month": day.strftime("%Y-%m"),
        "load_count": loads,
        "play_count": plays,
        "hours_watched": hours,
        "observed_on": D6,
        "row_hash": f"h_{media_id}_{day}",
    }


def event(  # noqa: PLR0917
    key: str,
    visitor: str,
    media_id: str,
    country: str | None,
    region: str | None,
    platform: str,
    browser: str,
    mobile: bool,
    viewed: float,
) -> dict:
    received = dt.datetime(2026, 1, 5, 12, int(key[1:]), tzinfo=dt.UTC)
    return {
        "event_key": key,
        "received_at": received,
        "event_date": received.date(),
        "media_id": media_id,
        "media_name": media_id,
        "visitor_key": visitor,
        "percent_viewed": viewed,
        "embed_url": "https://example.com/watch",
        "country": country,
        "region": region,
        "city": None,
        "lat": None,
        "lon": None,
        "org": None,
        "ip_hash": "hmac256:" + "0" * 64,
        "email_hash": None,
        "conversion_type": None,
        "is_conversion": False,
        "conversion_email_hash": None,
        "browser": browser,
        "browser_version": "1",
        "platform": platform,
        "is_mobile": mobile,
        "observed_on": D6,
        "row_hash": f"h_{key}",
    }


def visitor(  # noqa: PLR0917
    key: str, loads: int, plays: int, platform: str, browser: str, mobile: bool
) -> dict:
    return {
        "visitor_key": key,
        "created_at": T0,
        "last_active_at": T0,
        "last_event_key": None,
        "identifying_event_key": None,
        "load_count": loads,
        "play_count": plays,
        "browser": browser,
        "browser_version": "1",
        "platform": platform,
        "is_mobile": mobile,
        "is_identified": False,
        "email_hash": None,
        "name_hash": None,
        "org_name_hash": None,
        "org_title_hash": None,
        "observed_on": D6,
        "row_hash": f"h_{key}",
    }


MEDIAS = [
    media("m_fb1", "Spring Promo", "facebook"),
    media("m_fb2", "Retargeting Cut", "facebook", deleted=True),
    media("m_new", "Fresh Upload", "youtube"),
    media("m_oth", "Webinar Recording", "other", archived=True),
    media("m_yt1", "Launch Teaser", "youtube"),
    media("m_yt2", "Tutorial Part 1", "youtube"),
]

#                 media    day  loads plays rate  hours  eng  visitors
ENGAGEMENT = [
    engagement("m_fb1", D5, 100, 40, 0.5, 2.0, 0.4, 80),
    engagement("m_fb1", D6, 120, 50, 0.5, 2.5, 0.5, 100),
    engagement("m_fb2", D5, 60, 30, 0.6, 1.0, 0.3, 50),
    engagement("m_oth", D5, 50, 10, 0.25, 0.5, 0.2, 40),
    engagement("m_yt1", D5, 200, 90, 0.5, 5.0, 0.6, 150),
    engagement("m_yt1", D6, 210, 100, 0.55, 6.0, 0.7, 160),
    engagement("m_yt2", D6, 40, 10, 0.25, 1.0, 0.4, 30),
]

#            media    day  loads plays hours
DAILY = [
    daily("m_fb1", D5, 10, 4, 0.2),
    daily("m_fb2", D5, 6, 3, 0.1),
    daily("m_yt1", D5, 30, 9, 1.0),
    daily("m_fb1", D6, 20, 10, 0.5),
    daily("m_yt1", D6, 10, 10, 1.0),
    daily("m_oth", D6, 0, 0, 0.0),
    daily("m_gone", D6, 5, 1, 0.05),
]

#           key  visitor media   country region           platform   browser  mobile viewed
EVENTS = [
    event("e1", "v1", "m_fb1", "US", "California", "windows", "Chrome", False, 0.5),
    event("e2", "v1", "m_fb1", "US", "California", "windows", "Chrome", False, 1.0),
    event("e3", "v2", "m_yt1", "US", "New York", "ios", "Safari", True, 0.25),
    event("e4", "v1", "m_yt1", "US", "New York", "ios", "Safari", True, 0.75),
    event("e5", "v3", "m_yt1", "FR", "Ile-de-France", "windows", "Firefox", False, 0.1),
    event("e6", "v3", "m_fb2", "FR", "Ile-de-France", "windows", "Chrome", False, 0.3),
    event("e7", "v1", "m_oth", "US", "California", "ios", "Safari", True, 0.2),
    event("e8", "v3", "m_oth", None, "", "windows", "Chrome", False, 0.0),
]

VISITORS = [
    visitor("v1", 4, 4, "windows", "Chrome", False),
    visitor("v2", 1, 1, "ios", "Safari", True),
    visitor("v3", 3, 3, "windows", "Chrome", False),
]


def write_fixture_lake(lake: Path) -> Path:
    """The lake described in this module's docstring (no quarantine table: it is absent on purpose)."""
    write_table(lake, DIM_MEDIA, MEDIAS)
    write_table(lake, DIM_VISITOR, VISITORS)
    write_table(lake, FCT_MEDIA_ENGAGEMENT, ENGAGEMENT)
    write_table(lake, FCT_MEDIA_DAILY, DAILY)
    write_table(lake, FCT_EVENTS, EVENTS)
    return lake
