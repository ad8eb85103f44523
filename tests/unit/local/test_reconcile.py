"""Reconciliation finds every kind of disagreement between the gold tables and the ground truth."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from wistia_local.reconcile import reconcile

RUN_DATE = dt.date(2026, 11, 20)


def truth() -> dict[str, Any]:
    return {
        "medias": [
            {"hashed_id": "m1", "name": "Launch", "archived": False, "deleted": False},
            {"hashed_id": "m2", "name": "Gone", "archived": False, "deleted": True},
        ],
        "events": [
            {
                "event_key": "e1",
                "received_at": "2026-11-19T10:00:00.000Z",
                "media_id": "m1",
                "visitor_key": "v1",
                "percent_viewed": 0.5,
                "country": "US",
            },
            {
                "event_key": "e0",
                "received_at": "2026-10-01T10:00:00.000Z",
                "media_id": "m1",
                "visitor_key": "v1",
                "percent_viewed": 0.2,
                "country": "US",
            },  # before the covered range: not expected
        ],
        "daily_stats": [
            {"media_id": "m1", "date": "2026-11-19", "load_count": 3, "play_count": 1, "hours_watched": 0.1}
        ],
        "media_stats": {
            "m1": {
                "load_count": 30,
                "play_count": 10,
                "play_rate": 0.4,
                "hours_watched": 1.5,
                "engagement": 0.5,
                "visitors": 12,
            }
        },
        "engagement": {"m1": {"engagement": 0.5, "engagement_data": [5, 4, 2], "rewatch_data": [0, 1, 0]}},
        "visitors": [{"visitor_key": "v1", "load_count": 3, "play_count": 2}],
    }


def tables() -> dict[str, list[dict[str, Any]]]:
    return {
        "fct_events": [
            {
                "event_key": "e1",
                "event_date": dt.date(2026, 11, 19),
                "media_id": "m1",
                "visitor_key": "v1",
                "percent_viewed": 0.5,
                "country": "US",
                "received_at": dt.datetime(2026, 11, 19, 10, tzinfo=dt.UTC),
            }
        ],
        "fct_media_daily": [
            {
                "media_id": "m1",
                "stat_date": dt.date(2026, 11, 19),
                "load_count": 3,
                "play_count": 1,
                "hours_watched": 0.1,
            }
        ],
        "fct_media_engagement": [
            {
                "media_id": "m1",
                "snapshot_date": RUN_DATE,
                "load_count": 30,
                "play_count": 10,
                "play_rate": 0.4,
                "hours_watched": 1.5,
                "engagement": 0.5,
                "visitors": 12,
                "engagement_curve": [5, 4, 2],
                "rewatch_curve": [0, 1, 0],
            }
        ],
        "dim_media": [
            {"media_id": "m1", "name": "Launch", "archived": False, "deleted": False},
            {"media_id": "m2", "name": "Gone", "archived": False, "deleted": False},
        ],
        "dim_visitor": [{"visitor_key": "v1", "load_count": 3, "play_count": 2}],
    }


def check(tables_: dict[str, Any], truth_: dict[str, Any], *, full_sweep: bool = False) -> Any:
    return reconcile(
        tables_,
        truth_,
        run_date=RUN_DATE,
        covered_from=dt.date(2026, 11, 1),
        full_sweep=full_sweep,
        visitor_snapshot=True,
    )


def test_matching_tables_reconcile_with_a_pending_deletion_noted() -> None:
    result = check(tables(), truth())
    assert result.mismatch_count == 0, result.mismatches
    assert result.notes["deletions_pending_sweep"] == 1
    assert result.checked["fct_events"] == 1


@pytest.mark.parametrize(
    ("change", "table", "fragment"),
    [
        (lambda t: t["fct_events"].clear(), "fct_events", "missing event e1"),
        (lambda t: t["fct_events"].append({**t["fct_events"][0]}), "fct_events", "duplicate key"),
        (lambda t: t["fct_events"][0].update(percent_viewed=0.49), "fct_events", "percent_viewed"),
        (lambda t: t["fct_media_daily"][0].update(play_count=2), "fct_media_daily", "play_count"),
        (lambda t: t["fct_media_engagement"].clear(), "fct_media_engagement", "no 2026-11-20 snapshot"),
        (
            lambda t: t["fct_media_engagement"][0].update(engagement_curve=[5, 4, 1]),
            "fct_media_engagement",
            "engagement_curve differs",
        ),
        (
            lambda t: t["fct_media_engagement"][0].update(rewatch_curve=None),
            "fct_media_engagement",
            "rewatch_curve differs",
        ),
        (lambda t: t["dim_media"][0].update(name="Old name"), "dim_media", "Old name"),
        (lambda t: t["dim_visitor"][0].update(load_count=2), "dim_visitor", "load_count"),
    ],
)
def test_each_kind_of_disagreement_is_a_mismatch(change: Any, table: str, fragment: str) -> None:
    changed = copy.deepcopy(tables())
    change(changed)
    result = check(changed, truth())
    assert result.mismatch_count >= 1
    assert any(fragment in message for message in result.mismatches[table])


def test_a_deletion_must_be_flagged_after_a_full_sweep() -> None:
    result = check(tables(), truth(), full_sweep=True)
    assert any("m2 was deleted" in message for message in result.mismatches["dim_media"])
