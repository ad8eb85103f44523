"""The Streamlit app, run by Streamlit's AppTest over the hand-written lake of support/fixture_lake.py.

Expected numbers, worked out from that module's rows:
- all days and channels (fct_media_daily / daily_trends): plays 4+3+9+10+10+0+1 = 37, loads
  10+6+30+20+10+0+5 = 81, play rate 37/81 = 45.7%, hours 2.85; medias with a play: m_fb1, m_fb2, m_yt1,
  m_gone = 4; visitors in fct_events: v1, v2, v3 = 3.
- facebook only: plays 4+3+10 = 17, loads 36 (47.2%), hours 0.80, medias 2, visitors v1 (m_fb1), v3 (m_fb2).
- 2026-01-06 only: plays 10+10+0+1 = 21, loads 35 (60.0%), hours 1.55, medias 3; no event that day.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from support.fixture_lake import D5, D6, write_fixture_lake

APP = Path(__file__).resolve().parents[2] / "dashboard" / "wistia_dashboard" / "app.py"
TIMEOUT = 60  # seconds per script run; a run takes about a second over the fixture lake
PANELS = [
    "Headline KPIs",
    "Plays and play rate per media over time",
    "Facebook vs YouTube",
    "Engagement curve",
    "Top medias",
    "Visitor geography",
    "Visitor devices",
]
KPI_LABELS = ["Plays", "Loads", "Play rate", "Hours watched", "Visitors", "Medias played"]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixture_lake(tmp_path_factory.mktemp("dashboard") / "lake")


def run_app(monkeypatch: pytest.MonkeyPatch, lake_dir: Path) -> AppTest:
    """The app as `streamlit run app.py -- --lake DIR` starts it (the script reads sys.argv)."""
    for name in ("WISTIA_DASHBOARD_SOURCE", "WISTIA_LAKE_DIR", "WISTIA_ATHENA_WORKGROUP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.argv", [str(APP), "--lake", str(lake_dir)])
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def kpis(app: AppTest) -> dict[str, str]:
    values = {metric.label: metric.value for metric in app.metric}
    return {label: values[label] for label in KPI_LABELS}


def table_with(app: AppTest, column: str) -> pd.DataFrame:
    """The one dataframe element holding `column`."""
    frames = [element.value for element in app.dataframe if column in element.value.columns]
    assert len(frames) == 1, [list(element.value.columns) for element in app.dataframe]
    return frames[0]


def test_every_panel_renders_with_the_hand_computed_kpis(monkeypatch: pytest.MonkeyPatch, lake: Path) -> None:
    app = run_app(monkeypatch, lake)

    assert [header.value for header in app.header if header.value in PANELS] == PANELS
    assert not app.warning
    assert kpis(app) == {
        "Plays": "37",
        "Loads": "81",
        "Play rate": "45.7%",
        "Hours watched": "2.85",
        "Visitors": "3",
        "Medias played": "4",
    }
    # Sidebar defaults: the whole date range of the data, every channel (the 'unknown' one included).
    assert app.date_input(key="days").value == (D5, D6)
    assert app.multiselect(key="channels").value == ["facebook", "youtube", "other", "unknown"]
    # Panels fed by the views, with the views' values.
    comparison = table_with(app, "medias")
    assert dict(zip(comparison["channel"], comparison["plays"], strict=True)) == {
        "youtube": 110,
        "facebook": 50,
        "other": 10,
    }
    top = table_with(app, "channel_rank")
    assert list(top["name"]) == ["Launch Teaser", "Spring Promo", "Webinar Recording", "Tutorial Part 1"]
    assert list(top["rank"]) == [1, 2, 3, 3]
    geography = table_with(app, "region")
    assert int(geography["sessions"].sum()) == 8
    assert {metric.label: metric.value for metric in app.metric}["Mobile share of sessions"] == "37.5%"
    # The engagement curve picker lists medias with a snapshot, most played first.
    assert app.selectbox(key="curve_media").options == [
        "Launch Teaser · youtube",
        "Spring Promo · facebook",
        "Retargeting Cut · facebook (deleted)",
        "Webinar Recording · other",
        "Tutorial Part 1 · youtube",
    ]


def test_channel_filter_changes_the_kpis_and_panels(monkeypatch: pytest.MonkeyPatch, lake: Path) -> None:
    app = run_app(monkeypatch, lake)

    app.multiselect(key="channels").set_value(["facebook"]).run()

    assert not app.exception
    assert kpis(app) == {
        "Plays": "17",
        "Loads": "36",
        "Play rate": "47.2%",
        "Hours watched": "0.80",
        "Visitors": "2",
        "Medias played": "2",
    }
    assert set(table_with(app, "medias")["channel"]) == {"facebook"}
    assert set(table_with(app, "media")["channel"]) == {"facebook"}
    # Filtered visitor panels read fct_events: facebook's sessions are e1, e2 (US) and e6 (FR).
    geography = table_with(app, "region")
    assert dict(zip(geography["country"], geography["sessions"], strict=True)) == {"US": 2, "FR": 1}
    assert {metric.label: metric.value for metric in app.metric}["Mobile share of sessions"] == "0.0%"


def test_date_filter_restricts_the_time_series(monkeypatch: pytest.MonkeyPatch, lake: Path) -> None:
    app = run_app(monkeypatch, lake)
    assert set(table_with(app, "media")["stat_date"]) == {D5, D6}

    app.date_input(key="days").set_value((D6, D6)).run()

    assert not app.exception
    series = table_with(app, "media")
    assert set(series["stat_date"]) == {D6}
    assert set(series["media_id"]) == {"m_fb1", "m_yt1", "m_oth", "m_gone"}
    assert kpis(app) == {
        "Plays": "21",
        "Loads": "35",
        "Play rate": "60.0%",
        "Hours watched": "1.55",
        "Visitors": "0",
        "Medias played": "3",
    }
    assert any("No viewing sessions" in info.value for info in app.info)


def test_no_channel_selected_says_so(monkeypatch: pytest.MonkeyPatch, lake: Path) -> None:
    app = run_app(monkeypatch, lake)

    app.multiselect(key="channels").set_value([]).run()

    assert not app.exception
    assert [warning.value for warning in app.warning] == ["Select at least one channel in the sidebar."]
    assert not app.metric


def test_empty_lake_asks_for_a_pipeline_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app = run_app(monkeypatch, tmp_path / "no-lake-here")

    assert not app.metric
    assert not app.error
    [message] = [info.value for info in app.info]
    assert "No Delta tables" in message
    assert "wistia-pipeline run" in message


def test_a_partly_written_lake_shows_what_it_can(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from support.fixture_lake import DAILY, MEDIAS, write_table
    from wistia_spark.tables import DIM_MEDIA, FCT_MEDIA_DAILY

    lake = tmp_path / "lake"
    write_table(lake, DIM_MEDIA, MEDIAS)
    write_table(lake, FCT_MEDIA_DAILY, DAILY)

    app = run_app(monkeypatch, lake)

    assert kpis(app)["Plays"] == "37"
    assert kpis(app)["Visitors"] == "n/a"  # no fct_events yet
    # Panels whose views or tables are missing say so instead of failing the page.
    assert app.warning
    assert all("could not be read" in warning.value for warning in app.warning)
    assert [header.value for header in app.header if header.value in PANELS] == PANELS
