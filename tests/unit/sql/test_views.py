"""The Athena DDL and views: they parse as Athena SQL, name only real tables and columns, and (run locally
through sqlglot and DuckDB over the fixture lake in conftest.py) return the results worked out by hand."""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from wistia_local import lake_query
from wistia_spark.tables import (
    ALL_TABLES,
    DIM_MEDIA,
    FCT_MEDIA_ENGAGEMENT,
    GOLD_TABLES,
    TableSpec,
    table_path,
)

ROOT = Path(__file__).resolve().parents[3]
DDL_DIR = ROOT / "sql" / "ddl"
VIEWS_DIR = ROOT / "sql" / "views"
DATABASE = "wistia_analytics_test"
LAKE_URI = "s3://wistia-lake-test"
VIEWS = {
    "channel_comparison",
    "daily_trends",
    "media_performance",
    "top_medias",
    "visitor_devices",
    "visitor_geography",
}
D5 = dt.date(2026, 1, 5)
D6 = dt.date(2026, 1, 6)


def substitute(text: str) -> str:
    return text.replace("${database}", DATABASE).replace("${lake_uri}", LAKE_URI)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\$\{[^}]*\}", text))


def assert_rows(actual: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    assert actual == [pytest.approx(row) for row in expected]


@pytest.fixture
def session(fixture_lake: Path) -> Iterator[lake_query.LakeSession]:
    with lake_query.open_lake(fixture_lake) as lake:
        yield lake


def view_rows(session: lake_query.LakeSession, name: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    result = session.view(name)
    assert not result.truncated
    return result.columns, result.rows


# --- DDL -----------------------------------------------------------------------------------------------


def test_there_is_one_ddl_file_per_table_and_one_for_the_database() -> None:
    assert {path.stem for path in DDL_DIR.glob("*.sql")} == {"00_database"} | {t.name for t in ALL_TABLES}


def test_database_ddl_parses() -> None:
    text = (DDL_DIR / "00_database.sql").read_text()
    assert placeholders(text) == {"${database}"}
    for dialect in ("trino", "athena"):
        statement = sqlglot.parse_one(substitute(text), read=dialect)
        assert isinstance(statement, exp.Create)
        assert statement.kind == "DATABASE"
        assert statement.this.name == DATABASE


@pytest.mark.parametrize("spec", ALL_TABLES, ids=lambda spec: spec.name)
def test_table_ddl_parses_and_points_at_the_delta_table(spec: TableSpec) -> None:
    text = (DDL_DIR / f"{spec.name}.sql").read_text()
    assert placeholders(text) == {"${database}", "${lake_uri}"}
    for dialect in ("trino", "athena"):
        statement = sqlglot.parse_one(substitute(text), read=dialect)
        assert isinstance(statement, exp.Create), dialect  # not sqlglot's unparsed Command fallback
        assert statement.kind == "TABLE"
        # Native Delta tables take their schema from the log: no column list to drift from the TableSpec.
        assert isinstance(statement.this, exp.Table)
        assert (statement.this.db, statement.this.name) == (DATABASE, spec.name)
        location = statement.find(exp.LocationProperty)
        assert location is not None
        assert location.this.name == table_path(LAKE_URI, spec) + "/"
        properties = {
            prop.name.lower(): prop.text("value") for prop in statement.find_all(exp.Property) if prop.name
        }
        assert properties.get("table_type") == "DELTA"


def test_sql_files_are_one_statement_with_line_comments_only() -> None:
    # Athena's Hive DDL parser rejects /* */ comments ("cannot recognize input near '/' '*'"), and
    # StartQueryExecution takes one statement.
    for path in [*DDL_DIR.glob("*.sql"), *VIEWS_DIR.glob("*.sql")]:
        text = path.read_text()
        code = "\n".join(line.split("--")[0] for line in text.splitlines())
        assert "/*" not in text, path.name
        assert ";" not in code, path.name


# --- view files ----------------------------------------------------------------------------------------


def test_the_views_are_the_expected_set() -> None:
    assert set(lake_query.view_files(VIEWS_DIR)) == VIEWS


def parse_view(name: str, dialect: str = "trino") -> exp.Create:
    statements = sqlglot.parse(substitute((VIEWS_DIR / f"{name}.sql").read_text()), read=dialect)
    assert len(statements) == 1
    statement = statements[0]
    assert isinstance(statement, exp.Create)
    return statement


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_file_creates_its_view_in_the_database(name: str) -> None:
    text = (VIEWS_DIR / f"{name}.sql").read_text()
    assert placeholders(text) == {"${database}"}
    assert f"CREATE OR REPLACE VIEW ${{database}}.{name} AS" in text
    for dialect in ("trino", "athena"):
        statement = parse_view(name, dialect)
        assert statement.kind == "VIEW"
        assert statement.args.get("replace") is True
        assert (statement.this.db, statement.this.name) == (DATABASE, name)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_reads_only_gold_tables_through_the_database_placeholder(name: str) -> None:
    statement = parse_view(name)
    select = statement.expression
    ctes = {cte.alias_or_name for cte in select.find_all(exp.CTE)}
    tables = [table for table in select.find_all(exp.Table) if table.name not in ctes]
    assert tables
    assert {table.name for table in tables} <= {spec.name for spec in GOLD_TABLES}
    assert {table.db for table in tables} == {DATABASE}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_names_only_known_columns(name: str) -> None:
    schema = MappingSchema(
        {DATABASE: {spec.name: dict(spec.columns) for spec in ALL_TABLES}}, dialect="spark"
    )
    # validate_qualify_columns raises on any column that no table (or CTE) in scope has.
    qualified = qualify(
        parse_view(name).expression, schema=schema, dialect="trino", validate_qualify_columns=True
    )
    assert qualified.named_selects


def test_qualify_catches_an_unknown_column() -> None:
    # Guards the guard above: a check that accepted anything would pass vacuously.
    schema = MappingSchema({DATABASE: {DIM_MEDIA.name: dict(DIM_MEDIA.columns)}}, dialect="spark")
    bad = sqlglot.parse_one("SELECT m.plays FROM wistia_analytics_test.dim_media AS m", read="trino")
    with pytest.raises(sqlglot.errors.OptimizeError):
        qualify(bad, schema=schema, dialect="trino", validate_qualify_columns=True)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_transpiles_to_one_duckdb_statement(name: str) -> None:
    sql = lake_query.local_sql((VIEWS_DIR / f"{name}.sql").read_text())
    statements = lake_query.to_duckdb(sql)
    assert len(statements) == 1
    assert f"CREATE OR REPLACE VIEW {name} AS" in statements[0]
    assert lake_query.referenced_tables(sql) <= {spec.name for spec in GOLD_TABLES}


# --- view results over the fixture lake -------------------------------------------------------------------


def test_session_loads_the_tables_and_creates_every_view(session: lake_query.LakeSession) -> None:
    assert set(session.tables) == {spec.name for spec in GOLD_TABLES}
    assert session.missing_tables == ("quarantine",)
    assert set(session.views) == VIEWS
    assert session.skipped_views == {}
    assert session.notes() == []  # quarantine is optional: no note for it


def test_media_performance(session: lake_query.LakeSession) -> None:
    columns, rows = view_rows(session, "media_performance")
    assert columns == (
        "media_id",
        "name",
        "channel",
        "project_name",
        "media_type",
        "duration_seconds",
        "archived",
        "deleted",
        "snapshot_date",
        "plays",
        "loads",
        "play_rate",
        "hours_watched",
        "engagement",
        "visitors",
    )
    # Each media's own latest snapshot: m_oth's is 01-05 (no 01-06 row), deleted m_fb2 stays (flagged),
    # m_new was never snapshotted (NULL totals).
    #  media_id  name                 channel     project        archived deleted
    medias = [
        ("m_fb1", "Spring Promo", "facebook", "FB Ads", False, False),
        ("m_fb2", "Retargeting Cut", "facebook", "FB Ads", False, True),
        ("m_new", "Fresh Upload", "youtube", "YouTube Ads", False, False),
        ("m_oth", "Webinar Recording", "other", "Webinars", True, False),
        ("m_yt1", "Launch Teaser", "youtube", "YouTube Ads", False, False),
        ("m_yt2", "Tutorial Part 1", "youtube", "YouTube Ads", False, False),
    ]
    #  snapshot  plays loads rate  hours  eng  visitors
    totals = [
        (D6, 50, 120, 0.5, 2.5, 0.5, 100),
        (D5, 30, 60, 0.6, 1.0, 0.3, 50),
        (None,) * 7,
        (D5, 10, 50, 0.25, 0.5, 0.2, 40),
        (D6, 100, 210, 0.55, 6.0, 0.7, 160),
        (D6, 10, 40, 0.25, 1.0, 0.4, 30),
    ]
    assert_rows(
        rows,
        [
            (media_id, name, channel, project, "Video", 60.0, archived, deleted, *total)
            for (media_id, name, channel, project, archived, deleted), total in zip(
                medias, totals, strict=True
            )
        ],
    )


def test_daily_trends(session: lake_query.LakeSession) -> None:
    columns, rows = view_rows(session, "daily_trends")
    assert columns == ("stat_date", "channel", "medias", "loads", "plays", "hours_watched", "plays_per_load")
    assert_rows(
        rows,
        [
            # 01-05 facebook: m_fb1 (10, 4, 0.2) + deleted m_fb2 (6, 3, 0.1): history keeps deleted medias.
            (D5, "facebook", 2, 16, 7, 0.3, 7 / 16),
            (D5, "youtube", 1, 30, 9, 1.0, 9 / 30),
            (D6, "facebook", 1, 20, 10, 0.5, 10 / 20),
            # A quiet day: zero loads give no ratio rather than a division error.
            (D6, "other", 1, 0, 0, 0.0, None),
            # m_gone has no dim_media row: shown, not dropped.
            (D6, "unknown", 1, 5, 1, 0.05, 1 / 5),
            (D6, "youtube", 1, 10, 10, 1.0, 10 / 10),
        ],
    )


def test_channel_comparison(session: lake_query.LakeSession) -> None:
    columns, rows = view_rows(session, "channel_comparison")
    assert columns == ("channel", "medias", "plays", "loads", "hours_watched", "play_rate", "engagement")
    assert_rows(
        rows,
        [
            # m_fb1 at 01-06 only: deleted m_fb2 is excluded.
            ("facebook", 1, 50, 120, 2.5, 50 / 120, 0.5),
            # m_oth at its latest snapshot (01-05).
            ("other", 1, 10, 50, 0.5, 10 / 50, 0.2),
            # m_yt1 (100 plays, 210 loads, 6.0 h, 0.7) + m_yt2 (10, 40, 1.0 h, 0.4) + m_new (no snapshot,
            # counted as a media, no totals). Engagement weighted by plays: (0.7*100 + 0.4*10) / 110.
            ("youtube", 3, 110, 250, 7.0, 110 / 250, (0.7 * 100 + 0.4 * 10) / 110),
        ],
    )


def test_channel_comparison_has_every_channel_even_without_medias(
    lake_writer: Any, rows: types.SimpleNamespace
) -> None:
    lake_writer(DIM_MEDIA, [rows.media("m_y", "Only One", "youtube")])
    lake = lake_writer(FCT_MEDIA_ENGAGEMENT, [rows.engagement("m_y", rows.D5, 10, 0, 0.0, 0.0, 0.0, 5)])
    with lake_query.open_lake(lake) as session:
        assert set(session.skipped_views) == {"daily_trends", "visitor_devices", "visitor_geography"}
        _, result = view_rows(session, "channel_comparison")
    # No plays at all: the weighted engagement has no weight and is NULL, not a division error.
    assert_rows(
        result,
        [
            ("facebook", 0, 0, 0, 0.0, None, None),
            ("other", 0, 0, 0, 0.0, None, None),
            ("youtube", 1, 0, 10, 0.0, 0.0, None),
        ],
    )


def test_top_medias(session: lake_query.LakeSession) -> None:
    columns, rows = view_rows(session, "top_medias")
    assert columns == (
        "rank",
        "channel_rank",
        "media_id",
        "name",
        "channel",
        "snapshot_date",
        "plays",
        "loads",
        "play_rate",
        "hours_watched",
        "engagement",
        "visitors",
    )
    # Deleted m_fb2 (30 plays) and never-snapshotted m_new are not ranked; m_oth and m_yt2 tie at 10.
    assert_rows(
        rows,
        [
            (1, 1, "m_yt1", "Launch Teaser", "youtube", D6, 100, 210, 0.55, 6.0, 0.7, 160),
            (2, 1, "m_fb1", "Spring Promo", "facebook", D6, 50, 120, 0.5, 2.5, 0.5, 100),
            (3, 1, "m_oth", "Webinar Recording", "other", D5, 10, 50, 0.25, 0.5, 0.2, 40),
            (3, 2, "m_yt2", "Tutorial Part 1", "youtube", D6, 10, 40, 0.25, 1.0, 0.4, 30),
        ],
    )


def test_visitor_geography(session: lake_query.LakeSession) -> None:
    columns, rows = view_rows(session, "visitor_geography")
    assert columns == ("country", "region", "sessions", "visitors", "avg_percent_viewed")
    assert_rows(
        rows,
        [
            ("FR", "Ile-de-France", 2, 1, (0.1 + 0.3) / 2),  # e5, e6: v3
            ("US", "California", 3, 1, (0.5 + 1.0 + 0.2) / 3),  # e1, e2, e7: v1
            ("US", "New York", 2, 2, (0.25 + 0.75) / 2),  # e3 (v2), e4 (v1)
            ("unknown", "unknown", 1, 1, 0.0),  # e8: NULL country, empty region
        ],
    )


def test_visitor_devices(session: lake_query.LakeSession) -> None:
    columns, rows = view_rows(session, "visitor_devices")
    assert columns == ("platform", "browser", "is_mobile", "sessions", "visitors", "session_share")
    assert_rows(
        rows,
        [
            ("ios", "Safari", True, 3, 2, 3 / 8),  # e3 (v2), e4 (v1), e7 (v1)
            ("windows", "Chrome", False, 4, 2, 4 / 8),  # e1, e2 (v1), e6, e8 (v3)
            ("windows", "Firefox", False, 1, 1, 1 / 8),  # e5 (v3)
        ],
    )


# --- sessions: partial lakes, ad-hoc SQL ------------------------------------------------------------------


def test_views_over_missing_tables_are_skipped_with_a_note(
    lake_writer: Any, rows: types.SimpleNamespace
) -> None:
    lake = lake_writer(DIM_MEDIA, [rows.media("m_a", "A", "other")])
    with lake_query.open_lake(lake) as session:
        assert session.tables == ("dim_media",)
        assert session.views == ()
        assert session.skipped_views["media_performance"] == ("fct_media_engagement",)
        assert session.notes() == [
            f"tables not found under {lake}: dim_visitor, fct_media_engagement, fct_media_daily, fct_events",
            "view channel_comparison not created: it needs fct_media_engagement",
            "view daily_trends not created: it needs fct_media_daily",
            "view media_performance not created: it needs fct_media_engagement",
            "view top_medias not created: it needs fct_media_engagement",
            "view visitor_devices not created: it needs fct_events",
            "view visitor_geography not created: it needs fct_events",
        ]
        with pytest.raises(lake_query.LakeQueryError, match="wistia-pipeline run"):
            session.view("media_performance")
        with pytest.raises(lake_query.UnknownViewError, match="available: channel_comparison, daily_trends"):
            session.view("nope")


def test_an_empty_lake_says_to_run_the_pipeline(tmp_path: Path) -> None:
    with pytest.raises(lake_query.NoTablesError, match="run `wistia-pipeline run` first"):
        lake_query.open_lake(tmp_path)


def test_adhoc_sql_is_athena_sql_transpiled(session: lake_query.LakeSession) -> None:
    # approx_distinct is Trino's; DuckDB calls it approx_count_distinct. The database prefix is accepted.
    result = session.query("SELECT approx_distinct(visitor_key) AS n FROM ${database}.fct_events")
    assert result.columns == ("n",)
    assert result.rows == [(3,)]
    duck = session.query("SELECT count(*) FROM fct_events WHERE is_mobile", dialect="duckdb")
    assert duck.rows == [(3,)]


def test_adhoc_sql_limit_reports_truncation(session: lake_query.LakeSession) -> None:
    result = session.query("SELECT event_key FROM fct_events ORDER BY event_key", limit=3)
    assert result.rows == [("e1",), ("e2",), ("e3",)]
    assert result.truncated
    assert not session.query("SELECT event_key FROM fct_events", limit=8).truncated


def test_timestamps_come_back_in_utc(session: lake_query.LakeSession) -> None:
    result = session.query("SELECT received_at FROM fct_events WHERE event_key = 'e1'")
    (received,) = result.rows[0]
    assert received.utcoffset() == dt.timedelta(0)
    assert received.replace(tzinfo=None) == dt.datetime(2026, 1, 5, 12, 1)


def test_sql_errors_become_query_errors(session: lake_query.LakeSession) -> None:
    with pytest.raises(lake_query.QueryError, match="query failed"):
        session.query("SELECT no_such_column FROM fct_events")
    with pytest.raises(lake_query.QueryError, match="placeholders"):
        session.query("SELECT 1 FROM ${lake_uri}")
