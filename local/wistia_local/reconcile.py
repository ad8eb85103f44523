"""Reconcile the gold tables with the simulator's ground truth, as the API could know it at the run.

For a run at simulated time T (the simulator's clock stands still during a run):
- `fct_events`: every event the API serves as of T whose UTC day lies in the covered range (from the
  first run's window start to the run's last closed day) is in the table once, with the API's values;
  nothing else is. Days older than the lookback were last pulled by an earlier run, but they had
  settled by then (nothing arrives more than three days late), so the truth as of T still applies.
  When the API buckets days by an account timezone (the simulator's `tz` quirk), only events whose
  bucket the runs asked for are held (the first bucket's UTC neighbour was never asked). An event the
  API serves without `received_at` (`bad_record`) must be in the quarantine with that reason instead.
- `fct_media_daily`: the same, per (media, day), for medias that exist at T.
- `fct_media_engagement`: the snapshot taken at T equals the API's totals and curves at T for every
  existing media.
- `dim_media`: every existing media is there, not deleted, with its name and archived flag. A media
  deleted since the last full listing may still look live (deletions are only visible to full sweeps):
  reported as pending, not as a mismatch; after a sweep run it must be flagged.
- `dim_visitor`: on a snapshot run, every visitor with the API's counts; between snapshots, only the
  visitors this run read by key are held to the API's values (the others wait for the next snapshot).
Keys must be unique in every table after every run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deltalake import DeltaTable

from wistia_spark.tables import GOLD_TABLES, QUARANTINE, TableSpec, table_path

EVENT_FIELDS = ("media_id", "visitor_key", "percent_viewed", "country")


@dataclass
class Reconciliation:
    run_date: dt.date
    checked: dict[str, int] = field(default_factory=dict)
    mismatches: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)

    def fail(self, table: str, message: str) -> None:
        self.mismatches.setdefault(table, []).append(message)

    @property
    def mismatch_count(self) -> int:
        return sum(len(items) for items in self.mismatches.values())

    def to_json(self, sample: int = 5) -> dict[str, Any]:
        return {
            "run_date": self.run_date.isoformat(),
            "checked": self.checked,
            "mismatches": self.mismatch_count,
            "by_table": {
                table: {"count": len(items), "sample": items[:sample]}
                for table, items in self.mismatches.items()
            },
            "notes": self.notes,
        }


def read_tables(lake_dir: Path) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in (*GOLD_TABLES, QUARANTINE):
        path = Path(table_path(str(lake_dir), table))
        tables[table.name] = DeltaTable(str(path)).to_pyarrow_table().to_pylist() if path.is_dir() else []
    return tables


def reconcile(
    tables: dict[str, list[dict[str, Any]]],
    truth: dict[str, Any],
    *,
    run_date: dt.date,
    covered_from: dt.date,
    full_sweep: bool,
    visitor_snapshot: bool,
    visitors_read: set[str] | None = None,
) -> Reconciliation:
    result = Reconciliation(run_date=run_date)
    for spec in GOLD_TABLES:
        _unique_keys(result, spec, tables.get(spec.name, []))
    last_day = (run_date - dt.timedelta(days=1)).isoformat()
    first_day = covered_from.isoformat()
    live = {m["hashed_id"]: m for m in truth["medias"] if not m["deleted"]}
    offset = dt.timedelta(hours=int(truth.get("event_day_offset_hours") or 0))
    asked = [e for e in truth["events"] if first_day <= _bucket_day(e, offset) <= last_day]
    _events(result, tables["fct_events"], truth["events"], asked, first=first_day, last=last_day)
    _quarantined_events(result, tables.get("quarantine", []), asked, first_day, last_day)
    _daily(result, tables["fct_media_daily"], truth["daily_stats"], live, (first_day, last_day))
    _engagement(result, tables["fct_media_engagement"], truth["media_stats"], truth["engagement"], run_date)
    _medias(result, tables["dim_media"], truth["medias"], full_sweep)
    _visitors(result, tables["dim_visitor"], truth["visitors"], visitor_snapshot, visitors_read or set())
    return result


def _unique_keys(result: Reconciliation, spec: TableSpec, rows: list[dict[str, Any]]) -> None:
    counts = Counter(tuple(row[key] for key in spec.keys) for row in rows)
    for key, count in counts.items():
        if count > 1:
            result.fail(spec.name, f"duplicate key {key} ({count} rows)")


def _events(
    result: Reconciliation,
    rows: list[dict[str, Any]],
    truth: list[dict[str, Any]],
    asked: list[dict[str, Any]],
    *,
    first: str,
    last: str,
) -> None:
    """Every event of the range whose day bucket was asked is there; nothing the API does not serve in
    the range is (an event of an unasked bucket, read when the buckets were another shape, may be)."""
    served = {e["event_key"]: e for e in truth if first <= e["received_at"][:10] <= last}
    served = {key: e for key, e in served.items() if not e.get("quirk_bad_record")}
    expected = {e["event_key"] for e in asked} & served.keys()
    actual = {row["event_key"]: row for row in rows if first <= row["event_date"].isoformat() <= last}
    result.checked["fct_events"] = len(expected)
    for key in sorted(expected - actual.keys()):
        result.fail("fct_events", f"missing event {key} of {served[key]['received_at'][:10]}")
    for key in sorted(actual.keys() - served.keys()):
        result.fail("fct_events", f"unexpected event {key}")
    for key in sorted(served.keys() & actual.keys()):
        event, row = served[key], actual[key]
        for name in EVENT_FIELDS:
            if not _same(event.get(name), row.get(name)):
                result.fail(
                    "fct_events", f"event {key} {name}: API {event.get(name)!r}, table {row.get(name)!r}"
                )
        if row["received_at"] != dt.datetime.fromisoformat(event["received_at"]):
            result.fail("fct_events", f"event {key} received_at differs")


def _bucket_day(event: dict[str, Any], offset: dt.timedelta) -> str:
    """The day whose `start_date`/`end_date` query serves the event (UTC, or the account's timezone)."""
    return (dt.datetime.fromisoformat(event["received_at"]) + offset).date().isoformat()


def _quarantined_events(
    result: Reconciliation, rows: list[dict[str, Any]], truth: list[dict[str, Any]], first: str, last: str
) -> None:
    """Events served without `received_at` are quarantined with that reason (and never in fct_events)."""
    bad = {
        e["event_key"] for e in truth if e.get("quirk_bad_record") and first <= e["received_at"][:10] <= last
    }
    if not bad:
        return
    reasons = {row["record_key"]: row["reason"] for row in rows if row["entity"] == "events"}
    result.checked["quarantine"] = len(bad)
    for key in sorted(bad):
        if reasons.get(key) != "missing or unparseable received_at":
            result.fail(
                "quarantine", f"event {key} served without received_at: quarantine says {reasons.get(key)!r}"
            )


def _daily(
    result: Reconciliation,
    rows: list[dict[str, Any]],
    truth: list[dict[str, Any]],
    live: dict[str, Any],
    window: tuple[str, str],
) -> None:
    first, last = window
    expected = {
        (r["media_id"], r["date"]): r for r in truth if r["media_id"] in live and first <= r["date"] <= last
    }
    actual = {
        (row["media_id"], row["stat_date"].isoformat()): row
        for row in rows
        if row["media_id"] in live and first <= row["stat_date"].isoformat() <= last
    }
    result.checked["fct_media_daily"] = len(expected)
    for key in sorted(expected.keys() - actual.keys()):
        result.fail("fct_media_daily", f"missing daily row {key}")
    for key in sorted(actual.keys() - expected.keys()):
        result.fail("fct_media_daily", f"unexpected daily row {key}")
    for key in sorted(expected.keys() & actual.keys()):
        want, got = expected[key], actual[key]
        for name in ("load_count", "play_count", "hours_watched"):
            if not _same(want[name], got[name]):
                result.fail("fct_media_daily", f"{key} {name}: API {want[name]}, table {got[name]}")


def _engagement(
    result: Reconciliation,
    rows: list[dict[str, Any]],
    truth: dict[str, Any],
    curves: dict[str, Any],
    run_date: dt.date,
) -> None:
    actual = {row["media_id"]: row for row in rows if row["snapshot_date"] == run_date}
    result.checked["fct_media_engagement"] = len(truth)
    for media_id, stats in sorted(truth.items()):
        row = actual.get(media_id)
        if row is None:
            result.fail("fct_media_engagement", f"no {run_date} snapshot of {media_id}")
            continue
        for name in ("load_count", "play_count", "play_rate", "hours_watched", "engagement", "visitors"):
            if not _same(stats.get(name), row.get(name)):
                result.fail(
                    "fct_media_engagement", f"{media_id} {name}: API {stats.get(name)}, table {row.get(name)}"
                )
        # The curves, whether asked tonight or read back from an earlier night (ADR 0017).
        for api_name, name in (("engagement_data", "engagement_curve"), ("rewatch_data", "rewatch_curve")):
            if list(curves[media_id][api_name]) != list(row.get(name) or []):
                result.fail("fct_media_engagement", f"{media_id} {name} differs from the API's {api_name}")


def _medias(
    result: Reconciliation, rows: list[dict[str, Any]], truth: list[dict[str, Any]], full_sweep: bool
) -> None:
    actual = {row["media_id"]: row for row in rows}
    result.checked["dim_media"] = len(truth)
    pending = 0
    for media in truth:
        row = actual.get(media["hashed_id"])
        if media["deleted"]:
            if row is not None and not row["deleted"]:
                if full_sweep:
                    result.fail(
                        "dim_media", f"{media['hashed_id']} was deleted but is not flagged after a sweep"
                    )
                else:
                    pending += 1
            continue
        if row is None:
            result.fail("dim_media", f"missing media {media['hashed_id']}")
        elif (row["name"], row["archived"], row["deleted"]) != (media["name"], media["archived"], False):
            result.fail(
                "dim_media",
                f"{media['hashed_id']}: API ({media['name']!r}, archived={media['archived']}), "
                f"table ({row['name']!r}, archived={row['archived']}, deleted={row['deleted']})",
            )
    result.notes["deletions_pending_sweep"] = pending


def _visitors(
    result: Reconciliation,
    rows: list[dict[str, Any]],
    truth: list[dict[str, Any]],
    snapshot: bool,
    read_by_key: set[str],
) -> None:
    actual = {row["visitor_key"]: row for row in rows}
    held = [v for v in truth if snapshot or v["visitor_key"] in read_by_key]
    result.checked["dim_visitor"] = len(held)
    result.notes["visitors_awaiting_snapshot"] = 0 if snapshot else len(truth) - len(held)
    for visitor in held:
        row = actual.get(visitor["visitor_key"])
        if row is None:
            result.fail("dim_visitor", f"missing visitor {visitor['visitor_key']}")
            continue
        for name in ("load_count", "play_count"):
            if visitor[name] != row[name]:
                result.fail(
                    "dim_visitor", f"{visitor['visitor_key']} {name}: API {visitor[name]}, table {row[name]}"
                )


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        if expected is None or actual is None:
            return expected is None and actual is None
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    return bool(expected == actual or (expected in ("", None) and actual in ("", None)))
