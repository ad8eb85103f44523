"""The Streamlit dashboard: `wistia-pipeline dashboard`, or `streamlit run dashboard/wistia_dashboard/app.py
-- --lake DIR` (local lake, the default) / `-- --athena` (Athena; see data.py for the environment).

Every panel reads the gold views (or, where no view answers it, the tables) through one DashboardData
source; the SQL is in queries.py and the arithmetic in metrics.py. Query results are cached for
CACHE_SECONDS per source and SQL text (Athena answers in seconds and bills per query); "Reload data" in the
sidebar drops the caches, e.g. after a new pipeline run. docs/dashboard.md describes each panel.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from wistia_dashboard import data, metrics, queries
from wistia_dashboard.queries import Filters

CACHE_SECONDS = 600
TOP_DEFAULT = 5
TOP_MAX = 20
TOP_MEDIAS_ROWS = 10
CHART_HEIGHT = 180
BAR_HEIGHT = 26  # per bar of a horizontal bar chart, so every label shows
DEFAULT_CHANNELS = ("facebook", "youtube", "other")

Reader = Callable[[str], pd.DataFrame]


@st.cache_resource(ttl=CACHE_SECONDS, show_spinner=False)
def _open_source(key: str, _config: data.SourceConfig) -> data.DashboardData:
    """One source per configuration, shared by every browser session (`key` is what caches it)."""
    return data.open_source(_config)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=1000)
def _query(key: str, sql: str, _source: data.DashboardData) -> pd.DataFrame:
    return _source.query(sql)


def _quietly(read: Reader, sql: str) -> pd.DataFrame:
    """A query whose failure (a table not written yet) only leaves its input empty."""
    try:
        return read(sql)
    except data.DashboardDataError:
        return pd.DataFrame()


@contextmanager
def panel(title: str, caption: str) -> Iterator[None]:
    """A panel's header and caption; a failed query shows as a warning in the panel, not a traceback."""
    st.header(title)
    st.caption(caption)
    try:
        yield
    except data.DashboardDataError as exc:
        st.warning(f"This panel could not be read: {exc}")


def _table(frame: pd.DataFrame, columns: list[str] | None = None, **column_config: Any) -> None:
    st.dataframe(frame, hide_index=True, column_order=columns, column_config=column_config or None)


def _percent(label: str) -> Any:
    return st.column_config.NumberColumn(label, format="percent")


def _decimal(label: str) -> Any:
    return st.column_config.NumberColumn(label, format="%.2f")


def line_chart(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    color: str,
    x_title: str,
    y_title: str,
    temporal: bool = True,
    y_format: str | None = None,
) -> None:
    """A line per `color` value, legend below with full names (Streamlit's own charts cut long ones)."""
    y_axis: dict[str, object] = {"format": y_format} if y_format else {}
    spec = {
        # The plot is CHART_HEIGHT high; axes and legend come on top of it (fit the width only).
        "height": CHART_HEIGHT,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "mark": {"type": "line", "tooltip": True},
        "encoding": {
            "x": {"field": x, "type": "temporal" if temporal else "quantitative", "title": x_title},
            "y": {"field": y, "type": "quantitative", "title": y_title, "axis": y_axis},
            "color": {
                "field": color,
                "type": "nominal",
                "title": None,
                "legend": {"orient": "bottom", "columns": 1, "labelLimit": 600},
            },
        },
    }
    st.vega_lite_chart(frame, spec, width="stretch")


# -- panels ---------------------------------------------------------------------------------------------


def kpi_panel(read: Reader, filters: Filters) -> None:
    with panel(
        "Headline KPIs",
        "Over the selected days and channels. Plays, loads and hours watched from daily_trends; play rate "
        "= plays per load; visitors = distinct visitors with a viewing session (fct_events); medias = "
        "medias with at least one play (fct_media_daily).",
    ):
        try:
            visitors: pd.DataFrame | None = read(queries.kpi_visitors_sql(filters))
        except data.DashboardDataError:
            visitors = None  # fct_events not written yet: the other KPIs still stand
        kpis = metrics.kpis_from(
            read(queries.kpi_totals_sql(filters)), read(queries.kpi_medias_sql(filters)), visitors
        )
        cells = st.columns(6)
        cells[0].metric("Plays", metrics.format_count(kpis.plays))
        cells[1].metric("Loads", metrics.format_count(kpis.loads))
        cells[2].metric("Play rate", metrics.format_rate(kpis.play_rate), help="plays per load")
        cells[3].metric("Hours watched", metrics.format_hours(kpis.hours_watched))
        cells[4].metric("Visitors", metrics.format_count(kpis.visitors))
        cells[5].metric("Medias played", metrics.format_count(kpis.medias))


def media_time_series_panel(read: Reader, filters: Filters, top: int) -> None:
    with panel(
        "Plays and play rate per media over time",
        f"Daily plays and plays per load of the {top} most played medias in the window "
        "(fct_media_daily with dim_media). The last two or three days can still grow as Wistia's "
        "daily stats settle.",
    ):
        series = metrics.media_series(read(queries.media_daily_sql(filters, top)))
        if series.empty:
            st.info("No daily stats for the selected days and channels.")
            return
        left, right = st.columns(2)
        with left:
            st.markdown("**Plays per day**")
            line_chart(series, x="stat_date", y="plays", color="media", x_title="day", y_title="plays")
        with right:
            st.markdown("**Play rate per day**")
            line_chart(
                series,
                x="stat_date",
                y="play_rate",
                color="media",
                x_title="day",
                y_title="plays per load",
                y_format="%",
            )
        with st.expander("Daily rows"):
            _table(
                series.assign(stat_date=series["stat_date"].dt.date),
                ["stat_date", "media", "channel", "loads", "plays", "play_rate", "media_id"],
                play_rate=_percent("play rate"),
            )


def channel_panel(read: Reader, filters: Filters) -> None:
    with panel(
        "Facebook vs YouTube",
        "Per channel: all-time totals as of each current media's latest snapshot (channel_comparison; "
        "play rate = plays per load, engagement weighted by plays), and plays per day over the window "
        "(daily_trends).",
    ):
        comparison = read(queries.channel_comparison_sql(filters))
        daily = metrics.with_datetime(read(queries.channel_daily_sql(filters)), "stat_date")
        left, right = st.columns(2)
        with left:
            st.markdown("**Latest all-time totals**")
            if comparison.empty:
                st.info("No channel totals yet.")
            else:
                st.bar_chart(
                    comparison,
                    x="channel",
                    y=["plays", "loads"],
                    x_label="",
                    y_label="plays, loads",
                    stack=False,
                    sort=False,
                    height=CHART_HEIGHT + 80,
                )
                _table(
                    comparison,
                    play_rate=_percent("play rate"),
                    engagement=_percent("engagement"),
                    hours_watched=_decimal("hours watched"),
                )
        with right:
            st.markdown("**Plays per day**")
            if daily.empty:
                st.info("No daily stats for the selected days and channels.")
            else:
                line_chart(daily, x="stat_date", y="plays", color="channel", x_title="day", y_title="plays")


def _media_choice(row: pd.Series) -> str:
    suffix = " (deleted)" if metrics.is_true(row["deleted"]) else ""
    return f"{row['name']} · {row['channel']}{suffix}"


def engagement_panel(read: Reader, filters: Filters) -> None:
    with panel(
        "Engagement curve",
        "Viewers at each point of the video (and rewatches), from the media's latest snapshot with a curve "
        "(fct_media_engagement.engagement_curve). Medias listed most played first (media_performance).",
    ):
        medias = read(queries.curve_medias_sql(filters))
        if medias.empty:
            st.info("No media has an engagement snapshot for the selected channels.")
            return
        labels = {str(row["media_id"]): _media_choice(row) for _, row in medias.iterrows()}
        media_id = st.selectbox(
            "Media", list(labels), format_func=lambda key: labels[str(key)], key="curve_media"
        )
        curve = read(queries.engagement_curve_sql(str(media_id)))
        if curve.empty:
            st.info("This media has no engagement curve yet.")
            return
        row = curve.iloc[0]
        frame = metrics.curve_frame(row["engagement_curve"], row["rewatch_curve"])
        long = frame.melt(id_vars="position_pct", var_name="series", value_name="count")
        line_chart(
            long,
            x="position_pct",
            y="count",
            color="series",
            x_title="position in the video (%)",
            y_title="viewers",
            temporal=False,
        )
        st.caption(f"Snapshot of {row['snapshot_date']}; {len(frame)} points.")


def top_medias_panel(read: Reader, filters: Filters) -> None:
    with panel(
        "Top medias",
        f"The {TOP_MEDIAS_ROWS} most played current medias by all-time plays at their latest snapshot "
        "(top_medias; rank over all channels, channel rank within the channel).",
    ):
        top = read(queries.top_medias_sql(filters, TOP_MEDIAS_ROWS))
        if top.empty:
            st.info("No media has a snapshot for the selected channels.")
            return
        _table(
            top,
            ["rank", "name", "channel", "plays", "play_rate", "engagement", "hours_watched", "visitors"],
            play_rate=_percent("Wistia play rate"),
            engagement=_percent("engagement"),
            hours_watched=_decimal("hours"),
        )


def geography_panel(read: Reader, filters: Filters) -> None:
    with panel(
        "Visitor geography",
        "Viewing sessions by country (and region below) in the window: visitor_geography, or fct_events "
        "when days or channels are filtered.",
    ):
        geography = read(queries.geography_sql(filters))
        if geography.empty:
            st.info("No viewing sessions for the selected days and channels.")
            return
        countries = metrics.country_summary(geography)
        st.bar_chart(
            countries.head(10),
            x="country",
            y="sessions",
            horizontal=True,
            sort="-sessions",
            x_label="",
            y_label="sessions",
            height=BAR_HEIGHT * len(countries.head(10)) + 80,
        )
        with st.expander("Countries and regions"):
            _table(geography, avg_percent_viewed=_percent("avg viewed"))


def devices_panel(read: Reader, filters: Filters) -> None:
    with panel(
        "Visitor devices",
        "Viewing sessions by platform, desktop or mobile, in the window: visitor_devices, or fct_events "
        "when days or channels are filtered.",
    ):
        devices = read(queries.devices_sql(filters))
        if devices.empty:
            st.info("No viewing sessions for the selected days and channels.")
            return
        st.metric("Mobile share of sessions", metrics.format_rate(metrics.mobile_share(devices)))
        platforms = metrics.platform_summary(devices)
        st.bar_chart(
            platforms,
            x="platform",
            y=["desktop", "mobile"],
            horizontal=True,
            sort=False,
            x_label="",
            y_label="sessions",
            height=BAR_HEIGHT * len(platforms) + 100,
        )
        with st.expander("Platforms and browsers"):
            _table(devices, session_share=_percent("share"))


# -- the page -------------------------------------------------------------------------------------------


def sidebar(
    read: Reader, source: data.DashboardData
) -> tuple[Filters, int, tuple[dt.date, dt.date] | None] | None:
    """The filters, the time series' size and the data's date range; None when no channel is selected."""
    bounds = metrics.date_bounds(
        [
            metrics.bounds_of(_quietly(read, queries.daily_bounds_sql())),
            metrics.bounds_of(_quietly(read, queries.event_bounds_sql())),
        ]
    )
    channels = _quietly(read, queries.channels_sql())
    options = metrics.channel_options(channels.get("channel", DEFAULT_CHANNELS))
    with st.sidebar:
        st.header("Filters")
        picked = None
        if bounds is not None:
            picked = st.date_input("Days", value=bounds, min_value=bounds[0], max_value=bounds[1], key="days")
        else:
            st.caption("No dated rows yet.")
        chosen = st.multiselect("Channels", options, default=options, key="channels")
        top = st.slider("Medias in the time series", 1, TOP_MAX, TOP_DEFAULT, key="top")
        if st.button("Reload data"):
            st.cache_data.clear()
            st.cache_resource.clear()
            st.rerun()
        st.caption(f"Source: {source.description}")
    if not chosen:
        st.warning("Select at least one channel in the sidebar.")
        return None
    return metrics.filters_from(picked, bounds, chosen, options), int(top), bounds


def main() -> None:
    st.set_page_config(page_title="Wistia video analytics", layout="wide")
    st.title("Wistia video analytics")
    try:
        config = data.source_config(sys.argv[1:], os.environ)
        source = _open_source(config.key, config)
    except data.NoDataError as exc:
        st.info(str(exc))
        return
    except data.DashboardDataError as exc:
        st.error(str(exc))
        return

    def read(sql: str) -> pd.DataFrame:
        return _query(config.key, sql, source)

    chosen = sidebar(read, source)
    if chosen is None:
        return
    filters, top, bounds = chosen
    latest = metrics.scalar(_quietly(read, queries.freshness_sql()), "latest_snapshot")
    first, last = bounds if bounds is not None else (None, None)
    window = f"{filters.start or first or '-'} to {filters.end or last or '-'}"
    st.caption(f"{source.description} · days {window} · latest snapshot {latest or 'none yet'}")

    kpi_panel(read, filters)
    media_time_series_panel(read, filters, top)
    channel_panel(read, filters)
    left, right = st.columns(2)
    with left:
        engagement_panel(read, filters)
    with right:
        top_medias_panel(read, filters)
    left, right = st.columns(2)
    with left:
        geography_panel(read, filters)
    with right:
        devices_panel(read, filters)


main()
