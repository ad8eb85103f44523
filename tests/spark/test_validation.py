"""Hand-made bronze with every kind of bad record: rejects go to quarantine with a reason, the rest merges."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from wistia_spark.job import run_transform
from wistia_spark.tables import FCT_EVENTS, FCT_MEDIA_DAILY, QUARANTINE, table_path

RUN_KEY = "nightly-2026-11-20"
HASH = "hmac256:" + "ab" * 32


def event(key: str | None, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "received_at": "2026-11-19T10:00:00.000Z",
        "event_key": key,
        "visitor_key": "1795000_visitor",
        "percent_viewed": 0.5,
        "ip": HASH,
        "email": None,
        "media_id": "media00001",
        "media_name": "Launch",
        "country": "US",
        "lat": "<redacted>",
        "conversion_type": "",
        "conversion_data": "",
        "user_agent_details": {"browser": "Chrome", "platform": "Windows", "mobile": False},
    }
    payload.update(overrides)
    if key is None:
        payload.pop("event_key")
    return payload


def write(lake: Path, key: str, payload: Any, *, raw: bytes | None = None) -> str:
    path = lake / key
    path.parent.mkdir(parents=True, exist_ok=True)
    body = raw if raw is not None else json.dumps(payload).encode()
    path.write_bytes(gzip.compress(body) if key.endswith(".gz") else body)
    return key


@pytest.fixture(scope="module")
def outcome(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lake = tmp_path_factory.mktemp("bad-lake")
    run_prefix = f"bronze/_runs/run={RUN_KEY}"
    events_key = write(
        lake,
        "bronze/events/day=2026-11-19/all.json.gz",
        [
            event("1795000_good-1"),
            event("1795000_good-2", received_at="2026-11-19T23:59:59+00:00", percent_viewed=1),
            event("1795000_good-1"),  # the same event twice: kept once
            event(
                None,
                iframe_heatmap_url="https://api.wistia.com/v1/stats/events/1390862572596e0.84/iframe.html",
            ),
            event(None),
            event("1795000_bad-percent", percent_viewed=1.7),
            event("1795000_raw-ip", ip="84.64.82.205"),
            event("1795000_other-day", received_at="2026-11-16T23:00:00Z"),
            event("1795000_neighbour-day", received_at="2026-11-18T23:00:00Z"),
            event("1795000_no-time", received_at="yesterday"),
            "not an object",
        ],
    )
    broken_key = write(lake, "bronze/events/day=2026-11-18/all.json.gz", None, raw=b'[{"event_key": "x",')
    daily_key = write(
        lake,
        "bronze/media_by_date/run=nightly-2026-11-20/media=media00001.json.gz",
        [
            {"date": "2026-11-19", "load_count": 12, "play_count": 8, "hours_watched": 0.95},
            {"date": "2026-11-19", "load_count": 12, "play_count": 8, "hours_watched": 0.95},
            {"date": "2026-11-18", "load_count": -1, "play_count": 0, "hours_watched": 0},
            {"date": "someday", "load_count": 1, "play_count": 0, "hours_watched": 0},
        ],
    )
    page_key = write(
        lake,
        "bronze/medias/run=nightly-2026-11-20/page=00001.json.gz",
        [{"hashed_id": "media00001", "name": "Launch", "project": {"name": "FB - Promo"}}, {"name": "no id"}],
    )
    run = {
        "run_id": "exec-1",
        "run_key": RUN_KEY,
        "mode": "nightly",
        "run_date": "2026-11-20",
        "window": {"start": "2026-11-18", "end": "2026-11-19"},
        "bucket": "lake",
        "bronze_prefix": "bronze",
    }
    write(lake, f"{run_prefix}/manifest.json", {"run": run, "listing": {"page_keys": [page_key]}})
    objects = [
        {"key": events_key, "entity": "events", "records": 11},
        {"key": broken_key, "entity": "events", "records": 1},
        {"key": daily_key, "entity": "media_by_date", "records": 4},
    ]
    write(
        lake,
        f"{run_prefix}/parts/everything.json",
        {"unit": "everything", "stream": "mixed", "objects": objects},
    )
    summary = run_transform(
        spark,
        manifest_uri=f"{lake.as_uri()}/{run_prefix}/manifest.json",
        lake_uri=lake.as_uri(),
        run_id="exec-1",
    )

    def rows(table: Any) -> list[dict[str, Any]]:
        return DeltaTable(table_path(str(lake), table)).to_pyarrow_table().to_pylist()

    return {
        "summary": summary,
        "events": rows(FCT_EVENTS),
        "daily": rows(FCT_MEDIA_DAILY),
        "quarantine": rows(QUARANTINE),
    }


def test_valid_events_merge_once_and_a_legacy_key_is_derived(outcome: dict[str, Any]) -> None:
    keys = sorted(row["event_key"] for row in outcome["events"])
    # An event of the day before its object's day is kept (an account-timezone bucket), under its own day.
    assert keys == ["1390862572596e0.84", "1795000_good-1", "1795000_good-2", "1795000_neighbour-day"]
    neighbour = next(row for row in outcome["events"] if row["event_key"] == "1795000_neighbour-day")
    assert neighbour["event_date"].isoformat() == "2026-11-18"
    assert all(row["lat"] is None for row in outcome["events"]), "'<redacted>' coordinates become null"
    assert outcome["summary"]["tables"]["fct_events"]["duplicates_dropped"] == 1


def test_every_bad_record_is_quarantined_with_its_reason(outcome: dict[str, Any]) -> None:
    reasons = sorted((row["entity"], row["record_key"] or "", row["reason"]) for row in outcome["quarantine"])
    assert reasons == sorted(
        [
            ("events", "", "missing event_key"),
            ("events", "1795000_bad-percent", "percent_viewed not between 0 and 1"),
            ("events", "1795000_raw-ip", "personal data not hashed"),
            ("events", "1795000_other-day", "received more than a day from the day asked for"),
            ("events", "1795000_no-time", "missing or unparseable received_at"),
            ("events", "", "record is not a JSON object"),
            ("events", "", "object is not a JSON array of events"),
            ("media_by_date", "media00001/2026-11-18", "load or play count is not a whole number"),
            ("media_by_date", "media00001/someday", "missing or unparseable date"),
            ("medias", "", "missing hashed_id"),
        ]
    )


def test_quarantine_never_copies_unhashed_personal_data(outcome: dict[str, Any]) -> None:
    assert "84.64.82.205" not in json.dumps(outcome["quarantine"], default=str)
    raw_ip = [row for row in outcome["quarantine"] if row["record_key"] == "1795000_raw-ip"]
    assert raw_ip and raw_ip[0]["payload"] is None


def test_daily_rows_dedupe_and_summary_counts_add_up(outcome: dict[str, Any]) -> None:
    assert [(row["stat_date"].isoformat(), row["play_count"]) for row in outcome["daily"]] == [
        ("2026-11-19", 8)
    ]
    daily = outcome["summary"]["tables"]["fct_media_daily"]
    assert (daily["records_in"], daily["quarantined"], daily["duplicates_dropped"], daily["inserted"]) == (
        4,
        2,
        1,
        1,
    )
    assert outcome["summary"]["quarantine"]["inserted"] == len(outcome["quarantine"]) == 10
