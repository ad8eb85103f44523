"""The dashboard's SQL, in Athena's (Trino) dialect with `${database}.` before every table and view.

One text for both sources: Athena runs it with the database substituted, the local lake strips the prefix
and sqlglot transpiles it to DuckDB (`wistia_local.lake_query`). The same restrictions as the views apply
(docs/queries.md, "Dialect notes"): ratios as `CAST(x AS DOUBLE) / NULLIF(y, 0)`, count sums cast to
`BIGINT`, no date arithmetic, grouping expressions repeated rather than aliased.

Panels read the views where a view answers them; the per-media time series and the engagement curve have
no view and read the tables. The two visitor views cover all time and all medias, so a date or channel
filter reads `fct_events` instead (filtered on its partition column `event_date`, as docs/queries.md
advises), with the views' own grouping expressions; unfiltered, the views are read as they are.
Values reach the SQL only as literals built here (dates, quoted strings, bounded integers).
"""

# ruff: noqa: S608 - this module builds SQL by design; values enter only through sql_string/sql_date/_limit.
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DB = "${database}."
UNKNOWN_CHANNEL = "unknown"  # what daily_trends shows for a media without a dim_media row
MEDIA_CHANNEL = f"COALESCE(m.channel, '{UNKNOWN_CHANNEL}')"
COUNTRY = "COALESCE(NULLIF(e.country, ''), 'unknown')"
REGION = "COALESCE(NULLIF(e.region, ''), 'unknown')"
PLATFORM = "COALESCE(NULLIF(e.platform, ''), 'unknown')"
BROWSER = "COALESCE(NULLIF(e.browser, ''), 'unknown')"
CURVE_MEDIA_LIMIT = 200  # medias offered in the engagement curve's picker (most played first)


@dataclass(frozen=True)
class Filters:
    """The sidebar's choice. `None` means unrestricted: no date bound, or every channel."""

    start: dt.date | None = None
    end: dt.date | None = None
    channels: tuple[str, ...] | None = None

    @property
    def unrestricted(self) -> bool:
        return self.start is None and self.end is None and self.channels is None


def sql_string(value: str) -> str:
    """A Trino string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def sql_date(value: dt.date) -> str:
    return f"DATE '{value.isoformat()}'"


def _date_conditions(column: str, filters: Filters) -> list[str]:
    conditions = []
    if filters.start is not None:
        conditions.append(f"{column} >= {sql_date(filters.start)}")
    if filters.end is not None:
        conditions.append(f"{column} <= {sql_date(filters.end)}")
    return conditions


def _month_conditions(column: str, filters: Filters) -> list[str]:
    """Bounds on a 'YYYY-MM' partition column, so Athena prunes fct_media_daily's stat_month partitions."""
    conditions = []
    if filters.start is not None:
        conditions.append(f"{column} >= {sql_string(filters.start.strftime('%Y-%m'))}")
    if filters.end is not None:
        conditions.append(f"{column} <= {sql_string(filters.end.strftime('%Y-%m'))}")
    return conditions


def _channel_conditions(column: str, filters: Filters) -> list[str]:
    if filters.channels is None:
        return []
    if not filters.channels:
        return ["FALSE"]
    return [f"{column} IN ({', '.join(sql_string(channel) for channel in filters.channels)})"]


def _where(conditions: list[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def _statement(*parts: str) -> str:
    """Clauses joined by single spaces, empty ones (an unfiltered WHERE) left out."""
    return " ".join(part for part in parts if part)


def _limit(value: int) -> int:
    if value < 1:
        raise ValueError(f"a row limit must be positive, not {value}")
    return int(value)


def _daily_conditions(filters: Filters) -> list[str]:
    """fct_media_daily AS d joined to dim_media AS m."""
    return [
        *_date_conditions("d.stat_date", filters),
        *_month_conditions("d.stat_month", filters),
        *_channel_conditions(MEDIA_CHANNEL, filters),
    ]


def _event_conditions(filters: Filters) -> list[str]:
    """fct_events AS e joined to dim_media AS m."""
    return [*_date_conditions("e.event_date", filters), *_channel_conditions(MEDIA_CHANNEL, filters)]


# -- sidebar -------------------------------------------------------------------------------------------


def daily_bounds_sql() -> str:
    return f"SELECT MIN(stat_date) AS first_day, MAX(stat_date) AS last_day FROM {DB}daily_trends"


def event_bounds_sql() -> str:
    return f"SELECT MIN(event_date) AS first_day, MAX(event_date) AS last_day FROM {DB}fct_events"


def channels_sql() -> str:
    """Every channel a filter can pick: the three of channel_comparison and any other in daily_trends."""
    return f"SELECT channel FROM {DB}channel_comparison UNION SELECT DISTINCT channel FROM {DB}daily_trends"


def freshness_sql() -> str:
    return f"SELECT MAX(snapshot_date) AS latest_snapshot FROM {DB}media_performance"


# -- headline KPIs -------------------------------------------------------------------------------------


def kpi_totals_sql(filters: Filters) -> str:
    """Plays, loads and hours watched over the window, from daily_trends."""
    conditions = [*_date_conditions("stat_date", filters), *_channel_conditions("channel", filters)]
    return _statement(
        "SELECT CAST(COALESCE(SUM(plays), 0) AS BIGINT) AS plays,",
        "CAST(COALESCE(SUM(loads), 0) AS BIGINT) AS loads,",
        "COALESCE(SUM(hours_watched), CAST(0 AS DOUBLE)) AS hours_watched",
        f"FROM {DB}daily_trends",
        _where(conditions),
    )


def kpi_medias_sql(filters: Filters) -> str:
    """Medias with at least one play in the window (fct_media_daily has explicit zero rows)."""
    conditions = ["d.play_count > 0", *_daily_conditions(filters)]
    return _statement(
        "SELECT COUNT(DISTINCT d.media_id) AS medias",
        f"FROM {DB}fct_media_daily AS d LEFT JOIN {DB}dim_media AS m ON m.media_id = d.media_id",
        _where(conditions),
    )


def kpi_visitors_sql(filters: Filters) -> str:
    """Distinct visitors with a viewing session in the window (daily stats carry no visitor counts)."""
    return _statement(
        "SELECT COUNT(DISTINCT e.visitor_key) AS visitors",
        f"FROM {DB}fct_events AS e LEFT JOIN {DB}dim_media AS m ON m.media_id = e.media_id",
        _where(_event_conditions(filters)),
    )


# -- plays and play rate per media over time ------------------------------------------------------------


def media_daily_sql(filters: Filters, top: int) -> str:
    """Daily loads, plays and plays per load of the `top` medias by plays in the window."""
    return f"""
WITH daily AS (
    SELECT
        d.stat_date,
        d.media_id,
        COALESCE(NULLIF(m.name, ''), d.media_id) AS name,
        {MEDIA_CHANNEL} AS channel,
        d.load_count,
        d.play_count
    FROM {DB}fct_media_daily AS d
    LEFT JOIN {DB}dim_media AS m
        ON m.media_id = d.media_id
    {_where(_daily_conditions(filters))}
),
top_medias AS (
    SELECT media_id
    FROM daily
    GROUP BY media_id
    ORDER BY SUM(play_count) DESC, media_id
    LIMIT {_limit(top)}
)
SELECT
    daily.stat_date,
    daily.media_id,
    daily.name,
    daily.channel,
    daily.load_count AS loads,
    daily.play_count AS plays,
    CAST(daily.play_count AS DOUBLE) / NULLIF(daily.load_count, 0) AS play_rate
FROM daily
JOIN top_medias
    ON top_medias.media_id = daily.media_id
ORDER BY daily.stat_date, daily.media_id
""".strip()


# -- channels -------------------------------------------------------------------------------------------


def channel_comparison_sql(filters: Filters) -> str:
    """Latest all-time totals per channel (the view has no dates: the window does not apply)."""
    conditions = _channel_conditions("channel", filters)
    return _statement(
        "SELECT channel, medias, plays, loads, play_rate, hours_watched, engagement",
        f"FROM {DB}channel_comparison",
        _where(conditions),
        "ORDER BY plays DESC, channel",
    )


def channel_daily_sql(filters: Filters) -> str:
    conditions = [*_date_conditions("stat_date", filters), *_channel_conditions("channel", filters)]
    return _statement(
        "SELECT stat_date, channel, medias, loads, plays, hours_watched, plays_per_load",
        f"FROM {DB}daily_trends",
        _where(conditions),
        "ORDER BY stat_date, channel",
    )


# -- engagement curve -----------------------------------------------------------------------------------


def curve_medias_sql(filters: Filters) -> str:
    """Medias with a snapshot, most played first, for the engagement curve's picker."""
    conditions = ["snapshot_date IS NOT NULL", *_channel_conditions("channel", filters)]
    return _statement(
        "SELECT media_id, name, channel, deleted, snapshot_date, plays",
        f"FROM {DB}media_performance",
        _where(conditions),
        f"ORDER BY plays DESC, media_id LIMIT {CURVE_MEDIA_LIMIT}",
    )


def engagement_curve_sql(media_id: str) -> str:
    """The media's latest snapshot that has a curve (a failed engagement pull leaves it NULL)."""
    return _statement(
        "SELECT e.snapshot_date, e.engagement_curve, e.rewatch_curve, m.duration_seconds",
        f"FROM {DB}fct_media_engagement AS e LEFT JOIN {DB}dim_media AS m ON m.media_id = e.media_id",
        f"WHERE e.media_id = {sql_string(media_id)} AND e.engagement_curve IS NOT NULL",
        "ORDER BY e.snapshot_date DESC LIMIT 1",
    )


# -- top medias -----------------------------------------------------------------------------------------


def top_medias_sql(filters: Filters, top: int) -> str:
    conditions = _channel_conditions("channel", filters)
    return _statement(
        "SELECT rank, channel_rank, name, channel, plays, loads, play_rate, hours_watched, engagement,",
        "visitors, snapshot_date, media_id",
        f"FROM {DB}top_medias",
        _where(conditions),
        f"ORDER BY rank, media_id LIMIT {_limit(top)}",
    )


# -- visitors -------------------------------------------------------------------------------------------


def geography_sql(filters: Filters) -> str:
    """Sessions by country and region: the view when unfiltered, else fct_events with its expressions."""
    if filters.unrestricted:
        return (
            "SELECT country, region, sessions, visitors, avg_percent_viewed "
            f"FROM {DB}visitor_geography ORDER BY sessions DESC, country, region"
        )
    return f"""
SELECT
    {COUNTRY} AS country,
    {REGION} AS region,
    COUNT(*) AS sessions,
    COUNT(DISTINCT e.visitor_key) AS visitors,
    AVG(e.percent_viewed) AS avg_percent_viewed
FROM {DB}fct_events AS e
LEFT JOIN {DB}dim_media AS m
    ON m.media_id = e.media_id
{_where(_event_conditions(filters))}
GROUP BY {COUNTRY}, {REGION}
ORDER BY sessions DESC, country, region
""".strip()


def devices_sql(filters: Filters) -> str:
    """Sessions by platform, browser and mobile flag: the view when unfiltered, else fct_events."""
    if filters.unrestricted:
        return (
            "SELECT platform, browser, is_mobile, sessions, visitors, session_share "
            f"FROM {DB}visitor_devices ORDER BY sessions DESC, platform, browser, is_mobile"
        )
    return f"""
SELECT
    {PLATFORM} AS platform,
    {BROWSER} AS browser,
    e.is_mobile,
    COUNT(*) AS sessions,
    COUNT(DISTINCT e.visitor_key) AS visitors,
    CAST(COUNT(*) AS DOUBLE) / SUM(COUNT(*)) OVER () AS session_share
FROM {DB}fct_events AS e
LEFT JOIN {DB}dim_media AS m
    ON m.media_id = e.media_id
{_where(_event_conditions(filters))}
GROUP BY {PLATFORM}, {BROWSER}, e.is_mobile
ORDER BY sessions DESC, platform, browser, is_mobile
""".strip()
