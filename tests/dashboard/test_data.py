"""The dashboard's data layer: source selection, the SQL (it parses as Athena SQL and, run locally over the
fixture lake of support/fixture_lake.py, gives hand-computed results), the pure panel functions, and the
Athena source, exercised with a STUB client object in place of boto3's (no AWS here): what it sends,
how it polls and pages, and how it parses GetQueryResults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlglot

from support.fixture_lake import D5, D6, write_fixture_lake
from wistia_dashboard import data, metrics, queries
from wistia_dashboard.queries import Filters

ALL = Filters()
FACEBOOK = Filters(channels=("facebook",))
DAY6 = Filters(start=D6, end=D6)
EVERYTHING_BY_DATE = Filters(start=dt.date(2000, 1, 1))  # no restriction in effect, but the table path


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[data.LocalLakeData]:
    source = data.LocalLakeData(write_fixture_lake(tmp_path_factory.mktemp("data") / "lake"))
    yield source
    source.close()


def every_sql() -> list[str]:
    return [
        queries.daily_bounds_sql(),
        queries.event_bounds_sql(),
        queries.channels_sql(),
        queries.freshness_sql(),
        queries.curve_medias_sql(FACEBOOK),
        queries.engagement_curve_sql("m_o'brien"),
        *(
            sql
            for filters in (ALL, FACEBOOK, DAY6, Filters(start=D5, end=D6, channels=("youtube", "other")))
            for sql in (
                queries.kpi_totals_sql(filters),
                queries.kpi_medias_sql(filters),
                queries.kpi_visitors_sql(filters),
                queries.media_daily_sql(filters, 5),
                queries.channel_comparison_sql(filters),
                queries.channel_daily_sql(filters),
                queries.top_medias_sql(filters, 10),
                queries.geography_sql(filters),
                queries.devices_sql(filters),
            )
        ),
    ]


# -- source selection -----------------------------------------------------------------------------------


def test_source_defaults_to_the_local_lake() -> None:
    config = data.source_config([], {})
    assert config.kind == "local"
    assert config.lake_dir == data.LOCAL_LAKE_DEFAULT


def test_arguments_win_over_the_environment() -> None:
    environ = {"WISTIA_LAKE_DIR": "/env/lake", "WISTIA_ATHENA_DATABASE": "env_db"}
    assert data.source_config(["--lake", "/arg/lake"], environ).lake_dir == Path("/arg/lake")
    assert data.source_config([], environ).lake_dir == Path("/env/lake")
    config = data.source_config(["--athena", "--database", "arg_db"], environ)
    assert (config.kind, config.database, config.workgroup) == ("athena", "arg_db", "wistia-dev")


def test_athena_from_the_environment() -> None:
    config = data.source_config(
        ["--server.port", "1"],  # whatever else is on the command line is ignored
        {
            "WISTIA_DASHBOARD_SOURCE": "athena",
            "WISTIA_ATHENA_WORKGROUP": "wistia-prod",
            "WISTIA_ATHENA_DATABASE": "wistia_prod",
            "AWS_REGION": "eu-west-1",
        },
    )
    assert config == data.SourceConfig(
        kind="athena",
        lake_dir=data.LOCAL_LAKE_DEFAULT,
        workgroup="wistia-prod",
        database="wistia_prod",
        region="eu-west-1",
    )
    assert config.key == "athena:eu-west-1:wistia-prod:wistia_prod"


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        ([], {"WISTIA_DASHBOARD_SOURCE": "redshift"}, "not a source"),
        (["--athena", "--database", "x; DROP"], {}, "not a Glue database name"),
    ],
)
def test_bad_source_settings_are_refused(argv: list[str], environ: dict[str, str], message: str) -> None:
    with pytest.raises(data.DashboardDataError, match=message):
        data.source_config(argv, environ)


def test_an_empty_lake_says_to_run_the_pipeline(tmp_path: Path) -> None:
    with pytest.raises(data.NoDataError, match="wistia-pipeline run"):
        data.LocalLakeData(tmp_path)


# -- the SQL ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["trino", "athena"])
def test_every_query_parses_as_athena_sql(dialect: str) -> None:
    for sql in every_sql():
        statement = sqlglot.parse_one(data.athena_sql(sql, "wistia_dev"), read=dialect)
        assert statement is not None, sql
        assert "${" not in data.athena_sql(sql, "wistia_dev")


def test_literals_are_quoted() -> None:
    assert queries.sql_string("it's") == "'it''s'"
    assert "e.media_id = 'm_o''brien'" in queries.engagement_curve_sql("m_o'brien")
    with pytest.raises(ValueError, match="positive"):
        queries.top_medias_sql(ALL, 0)


def test_date_filters_prune_partitions() -> None:
    daily = queries.media_daily_sql(DAY6, 5)
    assert "d.stat_date >= DATE '2026-01-06'" in daily
    assert "d.stat_month <= '2026-01'" in daily  # fct_media_daily is partitioned by stat_month
    assert "e.event_date >= DATE '2026-01-06'" in queries.kpi_visitors_sql(DAY6)


def test_unfiltered_visitor_panels_read_the_views() -> None:
    assert "visitor_geography" in queries.geography_sql(ALL)
    assert "visitor_devices" in queries.devices_sql(ALL)
    assert "fct_events" in queries.geography_sql(FACEBOOK)
    assert "fct_events" in queries.devices_sql(DAY6)


def test_every_query_runs_locally(local: data.LocalLakeData) -> None:
    for sql in every_sql():
        local.query(sql)


def test_kpis_over_the_fixture(local: data.LocalLakeData) -> None:
    def kpis(filters: Filters) -> metrics.Kpis:
        return metrics.kpis_from(
            local.query(queries.kpi_totals_sql(filters)),
            local.query(queries.kpi_medias_sql(filters)),
            local.query(queries.kpi_visitors_sql(filters)),
        )

    everything = kpis(ALL)
    assert (everything.plays, everything.loads, everything.visitors, everything.medias) == (37, 81, 3, 4)
    assert everything.hours_watched == pytest.approx(2.85)
    assert everything.play_rate == pytest.approx(37 / 81)
    facebook = kpis(FACEBOOK)
    assert (facebook.plays, facebook.loads, facebook.visitors, facebook.medias) == (17, 36, 2, 2)
    day6 = kpis(DAY6)
    assert (day6.plays, day6.loads, day6.visitors, day6.medias) == (21, 35, 0, 3)
    unknown = kpis(Filters(channels=("unknown",)))  # m_gone: daily stats without a dim_media row
    assert (unknown.plays, unknown.loads, unknown.medias) == (1, 5, 1)
    nothing = kpis(Filters(channels=()))
    assert (nothing.plays, nothing.loads, nothing.play_rate) == (0, 0, None)


def test_media_time_series_keeps_the_top_medias(local: data.LocalLakeData) -> None:
    top2 = local.query(queries.media_daily_sql(ALL, 2))
    # Plays over both days: m_yt1 19, m_fb1 14, m_fb2 3, m_gone 1, m_oth 0.
    assert set(top2["media_id"]) == {"m_yt1", "m_fb1"}
    assert list(top2.columns) == ["stat_date", "media_id", "name", "channel", "loads", "plays", "play_rate"]
    day = top2[(top2["media_id"] == "m_yt1") & (top2["stat_date"] == D5)].iloc[0]
    assert (day["name"], day["plays"], day["play_rate"]) == ("Launch Teaser", 9, pytest.approx(9 / 30))
    gone = local.query(queries.media_daily_sql(Filters(channels=("unknown",)), 5))
    assert list(gone["name"]) == ["m_gone"]  # no dim_media row: the id stands in for the name
    quiet = local.query(queries.media_daily_sql(Filters(channels=("other",)), 5))
    assert quiet["play_rate"].isna().all()  # m_oth: a zero-load day has no rate


def test_channel_queries_filter_the_views(local: data.LocalLakeData) -> None:
    comparison = local.query(queries.channel_comparison_sql(ALL))
    assert list(comparison["channel"]) == ["youtube", "facebook", "other"]
    assert list(comparison["plays"]) == [110, 50, 10]
    daily = local.query(queries.channel_daily_sql(Filters(start=D6, channels=("facebook", "youtube"))))
    assert list(zip(daily["channel"], daily["plays"], strict=True)) == [("facebook", 10), ("youtube", 10)]


def test_engagement_curve_is_the_latest_snapshot(local: data.LocalLakeData) -> None:
    medias = local.query(queries.curve_medias_sql(Filters(channels=("facebook",))))
    assert list(medias["media_id"]) == ["m_fb1", "m_fb2"]
    curve = local.query(queries.engagement_curve_sql("m_fb1"))
    assert len(curve) == 1
    row = curve.iloc[0]
    assert row["snapshot_date"] == D6
    assert list(row["engagement_curve"]) == [10, 8, 5]
    frame = metrics.curve_frame(row["engagement_curve"], row["rewatch_curve"])
    assert frame.to_dict("list") == {
        "position_pct": [0.0, 50.0, 100.0],
        "viewers": [10, 8, 5],
        "rewatches": [1, 0, 0],
    }
    assert local.query(queries.engagement_curve_sql("m_new")).empty  # never snapshotted


def test_top_medias_by_channel(local: data.LocalLakeData) -> None:
    top = local.query(queries.top_medias_sql(Filters(channels=("youtube",)), 10))
    assert list(top["media_id"]) == ["m_yt1", "m_yt2"]
    assert list(top["rank"]) == [1, 3]
    assert list(top["channel_rank"]) == [1, 2]


@pytest.mark.parametrize("builder", [queries.geography_sql, queries.devices_sql])
def test_filtered_visitor_queries_match_the_views(local: data.LocalLakeData, builder: Any) -> None:
    # The table path (any filter) repeats the view's expressions: with nothing filtered out they agree.
    from_view = local.query(builder(ALL))
    from_table = local.query(builder(EVERYTHING_BY_DATE))
    pd.testing.assert_frame_equal(from_view, from_table, check_dtype=False)


def test_visitor_panels_over_the_fixture(local: data.LocalLakeData) -> None:
    geography = local.query(queries.geography_sql(ALL))
    countries = metrics.country_summary(geography)
    assert list(zip(countries["country"], countries["sessions"], strict=True)) == [
        ("US", 5),
        ("FR", 2),
        ("unknown", 1),
    ]
    # US: (0.5 + 1.0 + 0.2 + 0.25 + 0.75) / 5 sessions
    assert countries["avg_percent_viewed"].iloc[0] == pytest.approx(2.7 / 5)
    devices = local.query(queries.devices_sql(ALL))
    assert metrics.mobile_share(devices) == pytest.approx(3 / 8)
    platforms = metrics.platform_summary(devices)
    assert platforms.to_dict("list") == {"platform": ["windows", "ios"], "desktop": [5, 0], "mobile": [0, 3]}
    youtube = local.query(queries.devices_sql(Filters(channels=("youtube",))))
    assert youtube["session_share"].sum() == pytest.approx(1.0)
    assert metrics.mobile_share(youtube) == pytest.approx(2 / 3)  # e3, e4 on ios; e5 on windows


# -- pure panel functions ---------------------------------------------------------------------------------


def test_filters_from_the_widgets() -> None:
    options = ["facebook", "youtube", "other", "unknown"]
    bounds = (D5, D6)
    assert metrics.filters_from((D5, D6), bounds, options, options) == Filters()
    assert metrics.filters_from((D6, D6), bounds, ["youtube", "facebook"], options) == Filters(
        start=D6, channels=("facebook", "youtube")
    )
    # While a range is being picked the widget holds one date: from it to the end.
    assert metrics.filters_from((D6,), bounds, options, options) == Filters(start=D6)
    assert metrics.filters_from(None, None, [], options) == Filters(channels=())


def test_channel_options_put_the_known_channels_first() -> None:
    assert metrics.channel_options(["unknown", "other", None, "youtube", "facebook", "youtube"]) == [
        "facebook",
        "youtube",
        "other",
        "unknown",
    ]


def test_date_bounds_take_the_widest_range() -> None:
    assert metrics.date_bounds([(D6, D6), (D5, None), (None, None)]) == (D5, D6)
    assert metrics.date_bounds([(pd.Timestamp("2026-01-04"), "2026-01-07")]) == (
        dt.date(2026, 1, 4),
        dt.date(2026, 1, 7),
    )
    assert metrics.date_bounds([(None, None)]) is None


def test_media_labels_disambiguate_shared_names() -> None:
    frame = pd.DataFrame({"media_id": ["a", "b", "a", "c"], "name": ["Bumper", "Bumper", "Bumper", "Teaser"]})
    assert list(metrics.media_labels(frame)) == ["Bumper (a)", "Bumper (b)", "Bumper (a)", "Teaser"]


def test_formatting() -> None:
    assert metrics.format_count(12345) == "12,345"
    assert metrics.format_rate(37 / 81) == "45.7%"
    assert metrics.format_rate(None) == "n/a"
    assert metrics.format_hours(2.8499999999999996) == "2.85"
    kpis = metrics.kpis_from(pd.DataFrame(), pd.DataFrame(), None)
    assert (kpis.plays, kpis.visitors, kpis.play_rate) == (0, None, None)
    assert metrics.format_count(kpis.visitors) == "n/a"


# -- Athena, with a STUB client (the real one needs AWS) ----------------------------------------------------


def column(name: str, kind: str) -> dict[str, str]:
    return {"Name": name, "Type": kind}


def cells(*values: str | None) -> dict[str, Any]:
    return {"Data": [{} if value is None else {"VarCharValue": value} for value in values]}


class StubAthenaClient:
    """Stands in for boto3.client("athena"): records requests, replays scripted states and pages."""

    def __init__(self, states: list[dict[str, Any]], pages: list[dict[str, Any]]) -> None:
        self.states = list(states)
        self.pages = list(pages)
        self.started: list[dict[str, Any]] = []
        self.polled = 0
        self.result_requests: list[dict[str, Any]] = []
        self.stopped: list[str] = []

    def start_query_execution(self, **request: Any) -> dict[str, Any]:
        self.started.append(request)
        return {"QueryExecutionId": "qe-1"}

    def get_query_execution(self, *, QueryExecutionId: str) -> dict[str, Any]:
        assert QueryExecutionId == "qe-1"
        self.polled += 1
        status = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"QueryExecution": {"QueryExecutionId": QueryExecutionId, "Status": status}}

    def get_query_results(self, **request: Any) -> dict[str, Any]:
        self.result_requests.append(request)
        return self.pages.pop(0)

    def stop_query_execution(self, *, QueryExecutionId: str) -> dict[str, Any]:
        self.stopped.append(QueryExecutionId)
        return {}


COLUMNS = [
    column("stat_date", "date"),
    column("channel", "varchar"),
    column("plays", "bigint"),
    column("play_rate", "double"),
    column("deleted", "boolean"),
    column("engagement_curve", "array"),
    column("received_at", "timestamp with time zone"),
]
FIRST_PAGE = {
    "ResultSet": {
        "ResultSetMetadata": {"ColumnInfo": COLUMNS},
        "Rows": [
            cells(*(c["Name"] for c in COLUMNS)),  # GetQueryResults repeats the header as the first row
            cells(
                "2026-01-05", "facebook", "14", "0.45", "false", "[10, 8, 5]", "2026-01-05 12:01:00.000 UTC"
            ),
        ],
    },
    "NextToken": "page-2",
}
SECOND_PAGE = {
    "ResultSet": {
        "ResultSetMetadata": {"ColumnInfo": COLUMNS},
        "Rows": [cells("2026-01-06", None, "0", None, "true", "[]", None)],
    }
}


def athena(client: StubAthenaClient, sleeps: list[float]) -> data.AthenaData:
    return data.AthenaData(client, workgroup="wistia-dev", database="wistia_dev", sleep=sleeps.append)


def test_athena_query_sends_the_sql_to_the_workgroup_polls_and_pages() -> None:
    client = StubAthenaClient(
        states=[{"State": "QUEUED"}, {"State": "RUNNING"}, {"State": "SUCCEEDED"}],
        pages=[FIRST_PAGE, SECOND_PAGE],
    )
    sleeps: list[float] = []

    frame = athena(client, sleeps).query(queries.channel_daily_sql(FACEBOOK))

    [request] = client.started
    assert request["WorkGroup"] == "wistia-dev"  # the workgroup's result location and limits apply
    assert request["QueryExecutionContext"] == {"Database": "wistia_dev"}
    assert "ResultConfiguration" not in request
    assert "FROM \"wistia_dev\".daily_trends WHERE channel IN ('facebook')" in request["QueryString"]
    assert client.polled == 3
    assert len(sleeps) == 2
    assert [r.get("NextToken") for r in client.result_requests] == [None, "page-2"]
    assert list(frame.columns) == [c["Name"] for c in COLUMNS]
    assert frame.iloc[0].tolist() == [
        D5,
        "facebook",
        14,
        0.45,
        False,
        [10, 8, 5],
        dt.datetime(2026, 1, 5, 12, 1, tzinfo=dt.UTC),
    ]
    second = frame.iloc[1]
    assert (second["stat_date"], second["plays"], second["deleted"], second["engagement_curve"]) == (
        D6,
        0,
        True,
        [],
    )
    assert second["channel"] is None
    assert pd.isna(second["play_rate"])


def test_athena_failures_surface_with_the_reason() -> None:
    client = StubAthenaClient(
        states=[{"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND: daily_trends"}], pages=[]
    )
    with pytest.raises(data.DashboardDataError, match="failed: TABLE_NOT_FOUND"):
        athena(client, []).query(queries.daily_bounds_sql())


def test_athena_query_that_runs_too_long_is_stopped() -> None:
    client = StubAthenaClient(states=[{"State": "RUNNING"}], pages=[])
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    source = data.AthenaData(
        client,
        workgroup="wistia-dev",
        database="wistia_dev",
        poll_seconds=1.0,
        timeout_seconds=3.0,
        sleep=sleep,
        clock=lambda: now[0],
    )
    with pytest.raises(data.DashboardDataError, match="stopped it"):
        source.query(queries.freshness_sql())
    assert client.stopped == ["qe-1"]


def test_athena_values_parse_by_type() -> None:
    assert data.parse_athena_value("42", "integer") == 42
    assert data.parse_athena_value("1.5", "decimal(10,2)") == 1.5
    assert data.parse_athena_value("[a, b]", "array") == ["a", "b"]
    assert data.parse_athena_value("2026-01-05 12:01:00.000", "timestamp") == dt.datetime(
        2026, 1, 5, 12, 1, tzinfo=dt.UTC
    )
    assert data.parse_athena_value(None, "bigint") is None
    assert data.parse_athena_results([]).empty
