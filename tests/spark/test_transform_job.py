"""The Transform job over real demo bronze, checked against the simulator's ground truth.

Night 1 (a first run: 30-day window, full media sweep, visitor snapshot) is transformed twice (the second
time must change nothing); then the simulator's clock moves a day, night 2 is ingested and transformed
(late events and settling daily stats must update rows, never duplicate them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from support.api import CLOCK_DATE, TOKEN
from support.bronze import close_night, export_bucket, ingest_night, lambda_world, manifest_uri
from support.lake import PII_KEY
from wistia_simulator import SimulatorConfig, WistiaSimulator
from wistia_spark.job import run_transform
from wistia_spark.tables import GOLD_TABLES, TableSpec, table_path


@dataclass
class Nights:
    lake: Path
    truth: list[dict[str, Any]] = field(default_factory=list)  # ground truth as of each night's run
    windows: list[tuple[str, str]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)  # night1, night1 again, night2
    tables_after: list[dict[str, list[dict[str, Any]]]] = field(default_factory=list)


def read_table(lake: Path, table: TableSpec) -> list[dict[str, Any]]:
    uri = table_path(lake.as_uri(), table)
    rows = DeltaTable(uri.removeprefix("file://")).to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda row: tuple(str(row[key]) for key in table.keys))


def snapshot(lake: Path) -> dict[str, list[dict[str, Any]]]:
    return {table.name: read_table(lake, table) for table in GOLD_TABLES}


@pytest.fixture(scope="module")
def nights(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    lake = tmp_path_factory.mktemp("lake")
    result = Nights(lake=lake)
    config = SimulatorConfig(preset="demo", seed=7, date=CLOCK_DATE, token=TOKEN)
    with WistiaSimulator(config) as sim, lambda_world(sim) as s3:
        for night, run_id in enumerate(("night-1", "night-2")):
            if night:
                sim.advance_days(1)
            planned = ingest_night(sim, run_id)
            export_bucket(s3, lake)
            result.truth.append(sim.ground_truth())
            result.windows.append((planned["run"]["window"]["start"], planned["run"]["window"]["end"]))
            repeats = 2 if night == 0 else 1
            for _ in range(repeats):
                summary = run_transform(
                    spark,
                    manifest_uri=manifest_uri(lake, planned),
                    lake_uri=lake.as_uri(),
                    run_id=run_id,
                )
                result.summaries.append(summary)
                result.tables_after.append(snapshot(lake))
            close_night(planned)
    yield result


def in_window(day: str, window: tuple[str, str]) -> bool:
    return window[0] <= day <= window[1]


def keyed_hmac(value: str) -> str:
    return "hmac256:" + hmac.new(PII_KEY.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()


def test_dim_media_holds_every_live_media_with_its_channel(nights: Nights) -> None:
    truth = {m["hashed_id"]: m for m in nights.truth[0]["medias"] if not m["deleted"]}
    rows = {row["media_id"]: row for row in nights.tables_after[0]["dim_media"]}
    assert set(rows) == set(truth)
    for media_id, media in truth.items():
        row = rows[media_id]
        assert row["name"] == media["name"]
        assert row["project_name"] == media["project"]["name"]
        assert row["archived"] == media["archived"]
        assert row["deleted"] is False
        assert row["created_at"] == dt.datetime.fromisoformat(media["created"])
        assert row["channel"] in {"facebook", "youtube", "other"}
    assert {row["channel"] for row in rows.values()} >= {"facebook", "youtube"}


def test_fct_media_daily_equals_the_apis_daily_rows(nights: Nights) -> None:
    window = nights.windows[0]
    truth = {
        (r["media_id"], r["date"]): r
        for r in nights.truth[0]["daily_stats"]
        if in_window(r["date"], window)
        and r["media_id"] in {m["hashed_id"] for m in nights.truth[0]["medias"] if not m["deleted"]}
    }
    rows = {(r["media_id"], r["stat_date"].isoformat()): r for r in nights.tables_after[0]["fct_media_daily"]}
    assert set(rows) == set(truth)
    for key, row in rows.items():
        assert (row["load_count"], row["play_count"]) == (truth[key]["load_count"], truth[key]["play_count"])
        assert row["hours_watched"] == pytest.approx(truth[key]["hours_watched"])
        assert row["stat_month"] == key[1][:7]


def test_fct_events_equals_the_apis_events_with_pii_hashed(nights: Nights) -> None:
    window = nights.windows[0]
    truth = {e["event_key"]: e for e in nights.truth[0]["events"] if in_window(e["received_at"][:10], window)}
    rows = {r["event_key"]: r for r in nights.tables_after[0]["fct_events"]}
    assert set(rows) == set(truth)
    for key, row in rows.items():
        event = truth[key]
        assert row["received_at"] == dt.datetime.fromisoformat(event["received_at"])
        assert row["event_date"].isoformat() == event["received_at"][:10]
        assert row["media_id"] == event["media_id"]
        assert row["visitor_key"] == event["visitor_key"]
        assert row["percent_viewed"] == pytest.approx(event["percent_viewed"])
        assert row["ip_hash"] == keyed_hmac(event["ip"])
        assert row["country"] == (event.get("country") or None)
    assert sum(1 for r in rows.values() if r["is_mobile"]) > 0


def test_fct_media_engagement_snapshots_the_totals(nights: Nights) -> None:
    truth = nights.truth[0]["media_stats"]
    rows = {r["media_id"]: r for r in nights.tables_after[0]["fct_media_engagement"]}
    assert set(rows) == set(truth)
    for media_id, row in rows.items():
        assert row["snapshot_date"] == CLOCK_DATE
        assert row["play_count"] == truth[media_id]["play_count"]
        assert row["load_count"] == truth[media_id]["load_count"]
        assert row["play_rate"] == pytest.approx(truth[media_id]["play_rate"])
        assert row["engagement_curve"] == nights.truth[0]["engagement"][media_id]["engagement_data"]


def test_dim_visitor_equals_the_visitor_snapshot(nights: Nights) -> None:
    truth = {v["visitor_key"]: v for v in nights.truth[0]["visitors"]}
    rows = {r["visitor_key"]: r for r in nights.tables_after[0]["dim_visitor"]}
    assert set(rows) == set(truth)
    for key, row in rows.items():
        visitor = truth[key]
        assert (row["load_count"], row["play_count"]) == (visitor["load_count"], visitor["play_count"])
        identity = visitor.get("visitor_identity") or {}
        assert row["is_identified"] == bool(identity.get("email") or identity.get("name"))
        if identity.get("email"):
            assert row["email_hash"] == keyed_hmac(identity["email"])


def test_merging_the_same_input_again_changes_nothing(nights: Nights) -> None:
    assert nights.tables_after[1] == nights.tables_after[0]
    again = nights.summaries[1]["tables"]
    assert {name: (t["inserted"], t["updated"]) for name, t in again.items() if "inserted" in t} == {
        name: (0, 0) for name, t in again.items() if "inserted" in t
    }


def test_keys_are_unique_after_every_run(nights: Nights) -> None:
    for tables in nights.tables_after:
        for table in GOLD_TABLES:
            keys = [tuple(row[k] for k in table.keys) for row in tables[table.name]]
            assert len(keys) == len(set(keys)), table.name


def test_a_later_night_applies_late_events_and_settled_stats(nights: Nights) -> None:
    second = nights.tables_after[2]
    truth = nights.truth[1]
    window = nights.windows[1]
    events_truth = {e["event_key"] for e in truth["events"] if e["received_at"][:10] <= window[1]}
    events_rows = {r["event_key"] for r in second["fct_events"]}
    assert events_truth <= events_rows, "late events of re-pulled days were merged"
    late = events_truth - {r["event_key"] for r in nights.tables_after[0]["fct_events"]}
    assert {e["received_at"][:10] for e in truth["events"] if e["event_key"] in late} - {window[1]}, (
        "some merged events belong to days re-pulled by the lookback, i.e. they arrived late"
    )
    daily_truth = {
        (r["media_id"], r["date"]): r["play_count"]
        for r in truth["daily_stats"]
        if in_window(r["date"], window)
    }
    daily_rows = {
        (r["media_id"], r["stat_date"].isoformat()): r["play_count"] for r in second["fct_media_daily"]
    }
    assert {k: daily_rows.get(k) for k in daily_truth} == daily_truth
    summary = nights.summaries[2]["tables"]
    assert summary["fct_media_daily"]["updated"] > 0, "settling days were updated in place"
    assert summary["fct_media_engagement"]["inserted"] == len(truth["media_stats"]), "a new snapshot day"


def test_summary_counts_reads_merges_and_quarantine(nights: Nights) -> None:
    first = nights.summaries[0]
    events = first["tables"]["fct_events"]
    assert (
        events["records_in"] == events["source_rows"] + events["quarantined"] + events["duplicates_dropped"]
    )
    assert events["inserted"] == len(nights.tables_after[0]["fct_events"])
    assert first["quarantine"]["source_rows"] == 0
    summary_file = nights.lake / "bronze/_runs/run=nightly-2026-11-20/transform_summary.json"
    assert summary_file.is_file()


def test_every_view_runs_over_the_job_output(nights: Nights) -> None:
    """The views (written once for Athena) run over the real tables and agree with them."""
    from wistia_local.lake_query import open_lake

    with open_lake(nights.lake) as lake:
        assert set(lake.all_views) >= {"media_performance", "channel_comparison", "daily_trends"}
        for view in lake.all_views:
            assert lake.view(view).rows, view
        channels = lake.view("channel_comparison")
        plays = sum(row[channels.columns.index("plays")] for row in channels.rows)
    live = {m["media_id"] for m in nights.tables_after[2]["dim_media"] if not m["deleted"]}
    latest = {r["media_id"]: r["play_count"] for r in nights.tables_after[2]["fct_media_engagement"]}
    assert plays == sum(count for media_id, count in latest.items() if media_id in live)
