"""Pure functions behind the panels: filters from the sidebar's widgets, KPIs, and chart-ready frames.

No Streamlit here, so tests call them directly; app.py only wires widgets and charts to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from wistia_dashboard.queries import Filters

DASH = "n/a"  # shown for a ratio without a denominator


@dataclass(frozen=True)
class Kpis:
    """The headline numbers for the filtered window."""

    plays: int
    loads: int
    hours_watched: float
    visitors: int | None  # None: no viewing sessions could be read (fct_events not written yet)
    medias: int

    @property
    def play_rate(self) -> float | None:
        """Plays per load over the window (as channel_comparison defines it), None without loads."""
        return self.plays / self.loads if self.loads else None


def scalar(frame: pd.DataFrame, column: str) -> Any:
    """The first row's value of a one-row result; None when absent or NULL."""
    if frame.empty or column not in frame.columns:
        return None
    value = frame[column].iloc[0]
    return None if _missing(value) else value


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pd.NA (a scalar; lists such as curves are never missing)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def is_true(value: Any) -> bool:
    """A nullable boolean cell as a bool (NULL is not true)."""
    return not _missing(value) and bool(value)


def kpis_from(totals: pd.DataFrame, medias: pd.DataFrame, visitors: pd.DataFrame | None) -> Kpis:
    """The KPIs from the three KPI queries (queries.kpi_totals_sql, kpi_medias_sql, kpi_visitors_sql);
    `visitors` None when its query could not run."""
    return Kpis(
        plays=int(scalar(totals, "plays") or 0),
        loads=int(scalar(totals, "loads") or 0),
        hours_watched=float(scalar(totals, "hours_watched") or 0.0),
        visitors=None if visitors is None else int(scalar(visitors, "visitors") or 0),
        medias=int(scalar(medias, "medias") or 0),
    )


def format_count(value: int | float | None) -> str:
    return DASH if value is None or _missing(value) else f"{int(value):,}"


def format_rate(value: float | None) -> str:
    return DASH if value is None or _missing(value) else f"{value:.1%}"


def format_hours(value: float | None) -> str:
    return DASH if value is None or _missing(value) else f"{value:,.2f}"


# -- filters --------------------------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):  # pd.Timestamp included
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


def date_bounds(ranges: Iterable[tuple[Any, Any]]) -> tuple[dt.date, dt.date] | None:
    """The widest (first, last) over several sources' bounds; None when none has a date."""
    pairs = list(ranges)
    firsts = [day for first, _ in pairs if (day := _as_date(first)) is not None]
    lasts = [day for _, last in pairs if (day := _as_date(last)) is not None]
    if not firsts or not lasts:
        return None
    return min(firsts), max(lasts)


def bounds_of(frame: pd.DataFrame) -> tuple[Any, Any]:
    """(first_day, last_day) of a bounds query (queries.daily_bounds_sql / event_bounds_sql)."""
    return scalar(frame, "first_day"), scalar(frame, "last_day")


def channel_options(channels: Iterable[Any]) -> list[str]:
    """The filter's channels: the three known ones first, then any other (e.g. 'unknown') by name."""
    known = ["facebook", "youtube", "other"]
    present = {str(channel) for channel in channels if not _missing(channel)}
    return [c for c in known if c in present] + sorted(present - set(known))


def filters_from(
    selected_dates: Sequence[dt.date] | dt.date | None,
    bounds: tuple[dt.date, dt.date] | None,
    selected_channels: Sequence[str],
    options: Sequence[str],
) -> Filters:
    """The widgets' state as Filters. The whole data range or every channel is no restriction at all, so
    unfiltered panels can read the views as they are (rows outside any channel included)."""
    if isinstance(selected_dates, dt.date):
        dates: list[dt.date] = [selected_dates]
    else:
        dates = list(selected_dates or [])
    start = dates[0] if dates else None
    end = dates[1] if len(dates) > 1 else None  # the date picker returns one date while a range is picked
    if bounds is not None:
        if start is not None and start <= bounds[0]:
            start = None
        if end is not None and end >= bounds[1]:
            end = None
    channels: tuple[str, ...] | None = tuple(c for c in options if c in set(selected_channels))
    if set(options) <= set(selected_channels):
        channels = None
    return Filters(start=start, end=end, channels=channels)


# -- chart shapes ---------------------------------------------------------------------------------------


def media_labels(frame: pd.DataFrame) -> pd.Series:
    """A media's name for chart legends; names shared by several medias get their id appended."""
    pairs = frame[["media_id", "name"]].drop_duplicates()
    shared = set(pairs["name"][pairs["name"].duplicated(keep=False)])
    return pd.Series(
        [
            f"{name} ({media_id})" if name in shared else str(name)
            for media_id, name in zip(frame["media_id"], frame["name"], strict=True)
        ],
        index=frame.index,
        dtype="object",
    )


def media_series(frame: pd.DataFrame) -> pd.DataFrame:
    """queries.media_daily_sql's rows with a `media` legend label and `stat_date` as a datetime."""
    series = frame.copy()
    if series.empty:
        series["media"] = pd.Series(dtype="object")
        return series
    series["media"] = media_labels(series)
    series["stat_date"] = pd.to_datetime(series["stat_date"])
    series["play_rate"] = series["play_rate"].astype("float64")
    return series


def with_datetime(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    result = frame.copy()
    if not result.empty:
        result[column] = pd.to_datetime(result[column])
    return result


def curve_frame(curve: Sequence[Any] | None, rewatch: Sequence[Any] | None) -> pd.DataFrame:
    """An engagement curve as (position in % of the video, viewers, rewatches): Wistia samples the curve
    at evenly spaced points from start to end, each value the number of viewers watching there."""
    points = [0 if _missing(v) else int(v) for v in (curve or [])]
    again = [0 if _missing(v) else int(v) for v in (rewatch or [])]
    count = len(points)
    positions = [100.0 * i / (count - 1) if count > 1 else 0.0 for i in range(count)]
    return pd.DataFrame(
        {
            "position_pct": positions,
            "viewers": points,
            "rewatches": [again[i] if i < len(again) else 0 for i in range(count)],
        }
    )


def country_summary(geography: pd.DataFrame) -> pd.DataFrame:
    """Sessions per country from the (country, region) rows, most sessions first. Visitors are not summed
    over regions: a visitor seen in two regions would count twice."""
    if geography.empty:
        return pd.DataFrame({"country": [], "sessions": [], "avg_percent_viewed": []})
    rows = geography.assign(
        viewed_total=geography["avg_percent_viewed"].astype("float64").fillna(0.0) * geography["sessions"]
    )
    grouped = rows.groupby("country", as_index=False).agg(
        sessions=("sessions", "sum"), viewed_total=("viewed_total", "sum")
    )
    grouped["avg_percent_viewed"] = grouped["viewed_total"] / grouped["sessions"]
    return (
        grouped.drop(columns="viewed_total")
        .sort_values(["sessions", "country"], ascending=[False, True])
        .reset_index(drop=True)
    )


def platform_summary(devices: pd.DataFrame) -> pd.DataFrame:
    """Sessions per platform, split into mobile and desktop, most sessions first."""
    if devices.empty:
        return pd.DataFrame({"platform": [], "desktop": [], "mobile": []})
    rows = devices.assign(kind=devices["is_mobile"].map(lambda m: "mobile" if is_true(m) else "desktop"))
    wide = rows.pivot_table(index="platform", columns="kind", values="sessions", aggfunc="sum", fill_value=0)
    for kind in ("desktop", "mobile"):
        if kind not in wide.columns:
            wide[kind] = 0
    wide = wide[["desktop", "mobile"]].astype("int64")
    wide["total"] = wide["desktop"] + wide["mobile"]
    ordered = wide.sort_values("total", ascending=False).drop(columns="total")
    return ordered.reset_index().rename_axis(columns=None)


def mobile_share(devices: pd.DataFrame) -> float | None:
    """Share of sessions on a mobile device (None without sessions)."""
    total = int(devices["sessions"].sum()) if not devices.empty else 0
    if not total:
        return None
    mobile = int(devices.loc[devices["is_mobile"].map(is_true), "sessions"].sum())
    return mobile / total
