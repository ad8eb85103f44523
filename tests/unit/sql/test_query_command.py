"""`wistia-pipeline query`: output formats, limits and the errors a user sees, over the fixture lake."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import pytest

from wistia_local import query_command
from wistia_local.errors import CommandError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    query_command.register(subparsers)
    return parser.parse_args(["query", *argv])


def run(*argv: str) -> int:
    args = parse(*argv)
    return int(args.func(args))


def test_defaults() -> None:
    args = parse("SELECT 1")
    assert args.lake == query_command.LOCAL_LAKE_DEFAULT == Path(".wistia/s3/wistia-lake")
    assert (args.format, args.limit, args.dialect, args.view) == ("table", None, "trino", None)


def test_view_as_table(fixture_lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--view", "channel_comparison", "--lake", str(fixture_lake)) == 0
    out, err = capsys.readouterr()
    assert out == (
        "channel  | medias | plays | loads | hours_watched | play_rate | engagement\n"
        "---------+--------+-------+-------+---------------+-----------+-----------\n"
        "facebook |      1 |    50 |   120 |           2.5 |    0.4167 |        0.5\n"
        "other    |      1 |    10 |    50 |           0.5 |       0.2 |        0.2\n"
        "youtube  |      3 |   110 |   250 |           7.0 |      0.44 |     0.6727\n"
        "(3 rows)\n"
    )
    assert err == ""


def test_view_as_csv(fixture_lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run("--view", "visitor_devices", "--format", "csv", "--lake", str(fixture_lake))
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [
        ["platform", "browser", "is_mobile", "sessions", "visitors", "session_share"],
        ["ios", "Safari", "true", "3", "2", "0.375"],
        ["windows", "Chrome", "false", "4", "2", "0.5"],
        ["windows", "Firefox", "false", "1", "1", "0.125"],
    ]


def test_view_as_json(fixture_lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run("--view", "daily_trends", "--format", "json", "--lake", str(fixture_lake))
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 6
    assert records[0] == {
        "stat_date": "2026-01-05",
        "channel": "facebook",
        "medias": 2,
        "loads": 16,
        "plays": 7,
        "hours_watched": pytest.approx(0.3),
        "plays_per_load": 0.4375,
    }
    assert records[3]["plays_per_load"] is None  # 01-06 other: zero loads


def test_sql_with_limit_notes_truncation(fixture_lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(
        "SELECT event_key, received_at FROM fct_events ORDER BY 1",
        "--limit",
        "2",
        "--lake",
        str(fixture_lake),
    )
    out, err = capsys.readouterr()
    assert out == (
        "event_key | received_at\n"
        "----------+--------------------------\n"
        "e1        | 2026-01-05 12:01:00+00:00\n"
        "e2        | 2026-01-05 12:02:00+00:00\n"
        "(2+ rows)\n"
    )
    assert "showing the first 2 rows; pass --limit 0 for all" in err


def test_table_output_defaults_to_50_rows_and_csv_to_all(
    fixture_lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = "SELECT * FROM range(60)"
    run(sql, "--dialect", "duckdb", "--lake", str(fixture_lake))
    out, _ = capsys.readouterr()
    assert out.splitlines()[-1] == "(50+ rows)"
    run(sql, "--dialect", "duckdb", "--format", "csv", "--lake", str(fixture_lake))
    out, _ = capsys.readouterr()
    assert len(out.splitlines()) == 61  # header and every row
    run(sql, "--dialect", "duckdb", "--limit", "0", "--lake", str(fixture_lake))
    out, _ = capsys.readouterr()
    assert out.splitlines()[-1] == "(60 rows)"


def test_athena_sql_is_transpiled(fixture_lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Copied from Athena as is: database prefix and a Trino-only function.
    run(
        "SELECT approx_distinct(visitor_key) AS visitors FROM ${database}.fct_events",
        "--format",
        "json",
        "--lake",
        str(fixture_lake),
    )
    assert json.loads(capsys.readouterr().out) == [{"visitors": 3}]


def test_no_sql_lists_tables_and_views(fixture_lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run("--format", "csv", "--lake", str(fixture_lake))
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["name", "kind", "status"]
    assert ["dim_media", "table", "loaded"] in rows
    assert ["quarantine", "table", "not found"] in rows
    assert ["top_medias", "view", "created"] in rows
    assert len(rows) == 1 + 6 + 6


def test_unknown_view_lists_the_views(fixture_lake: Path) -> None:
    with pytest.raises(CommandError) as raised:
        run("--view", "top_media", "--lake", str(fixture_lake))
    message = str(raised.value)
    assert "unknown view 'top_media'" in message
    assert (
        "available: channel_comparison, daily_trends, media_performance, top_medias, "
        "visitor_devices, visitor_geography"
    ) in message


def test_empty_lake_says_to_run_the_pipeline(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"no Delta tables found under .*run `wistia-pipeline run` first"):
        run("--view", "top_medias", "--lake", str(tmp_path / "no-lake"))


def test_sql_errors_are_command_errors(fixture_lake: Path) -> None:
    with pytest.raises(CommandError, match=r'query failed: .*"nope"'):
        run("SELECT nope FROM dim_media", "--lake", str(fixture_lake))
    with pytest.raises(CommandError, match="Athena \\(Trino\\) SQL"):
        run("SELECT FROM WHERE (", "--lake", str(fixture_lake))


def test_sql_and_view_together_is_an_error(fixture_lake: Path) -> None:
    with pytest.raises(CommandError, match="either SQL or --view"):
        run("SELECT 1", "--view", "top_medias", "--lake", str(fixture_lake))
