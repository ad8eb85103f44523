"""The Lambdas in the order the state machine runs them, over the demo account (moto + simulator).

Transform (the Spark merge) belongs to a later layer; here Commit is called as the state machine calls it
after a successful Transform, and as its Catch calls it after a failure.
"""

from __future__ import annotations

import gzip
from typing import Any

import boto3
import pytest

from support.api import TOKEN
from support.lake import PII_KEY, read_objects
from support.lambda_context import FakeLambdaContext
from wistia_ingest.errors import AuthenticationError
from wistia_ingest.handlers import commit, ingest_events, ingest_media, ingest_visitors, plan
from wistia_ingest.pii import PiiProtector
from wistia_ingest.run_context import RunContext
from wistia_ingest.runtime import Runtime
from wistia_simulator import FaultProfile, WistiaSimulator

pytestmark = pytest.mark.usefixtures("lambda_env")
CONTEXT = FakeLambdaContext()


def ingest(rt: Runtime, run_id: str, execution_input: dict[str, Any] | None = None) -> dict[str, Any]:
    """Plan and every ingestion step; asserts after each that no watermark moved."""
    before = rt.state.watermarks()
    planned: dict[str, Any] = plan.handler({"input": execution_input or {}, "run_id": run_id}, CONTEXT)
    run = planned["run"]
    results: dict[str, Any] = {"plan": planned, "media": [], "events": []}
    for batch in rt.bronze.get_json(planned["media_batches"]["key"]):
        results["media"].append(ingest_media.handler({"run": run, "batch": batch}, CONTEXT))
        assert rt.state.watermarks() == before
    for day in planned["days"]:
        results["events"].append(ingest_events.handler({"run": run, "day": day}, CONTEXT))
        assert rt.state.watermarks() == before
    results["visitors"] = ingest_visitors.handler({"run": run}, CONTEXT)
    assert rt.state.watermarks() == before
    return results


def data_objects() -> dict[str, bytes]:
    """Every bronze object except run metadata."""
    return {
        key: body for key, body in read_objects(boto3.client("s3"), "bronze/").items() if "/_runs/" not in key
    }


def test_nightly_run_writes_every_entity_then_commits_watermarks(sim: WistiaSimulator, rt: Runtime) -> None:
    results = ingest(rt, "night-1")
    truth = sim.ground_truth()
    live = {m["hashed_id"] for m in truth["medias"] if not m["deleted"]}

    keys = set(data_objects())
    days = results["plan"]["days"]
    for media_id in live:
        assert f"bronze/media_stats/snapshot_date=2026-11-20/media={media_id}.json.gz" in keys
        assert f"bronze/media_engagement/snapshot_date=2026-11-20/media={media_id}.json.gz" in keys
        assert f"bronze/media_by_date/run=nightly-2026-11-20/media={media_id}.json.gz" in keys
    for day in days:
        assert f"bronze/events/day={day}/all.json.gz" in keys
    assert any(key.startswith("bronze/visitors/snapshot_date=2026-11-20/") for key in keys)
    in_window = [e for e in truth["events"] if days[0] <= e["received_at"][:10] <= days[-1]]
    assert sum(r["records"] for r in results["events"]) == len(in_window)
    assert results["visitors"]["records"] == len(truth["visitors"])
    assert rt.state.lock_holder() is not None

    closed = commit.handler({"outcome": "succeeded", "run": results["plan"]["run"]}, CONTEXT)

    assert closed["watermarks_advanced"]["events"] == "2026-11-19"
    assert closed["watermarks_advanced"]["by_date"] == "2026-11-19"
    assert closed["watermarks_advanced"]["visitors"] == "2026-11-20"
    assert closed["watermarks_advanced"]["media_sweep"] == "2026-11-20"
    manifest = rt.bronze.get_json("bronze/_runs/run=nightly-2026-11-20/manifest.json")
    assert rt.state.watermarks()["medias"] == manifest["listing"]["high_water"]
    assert closed["counts"]["records"]["events"] == len(in_window)
    assert rt.state.lock_holder() is None
    record = rt.state.run_record("night-1")
    assert record is not None and record["status"] == "succeeded"


def test_rerunning_the_same_night_rewrites_identical_objects_and_nothing_else(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    first = ingest(rt, "attempt-1")
    commit.handler(
        {"outcome": "failed", "run_id": "attempt-1", "error": {"Error": "X", "Cause": "y"}}, CONTEXT
    )
    objects = data_objects()
    parts = read_objects(boto3.client("s3"), "bronze/_runs/run=nightly-2026-11-20/parts/")

    second = ingest(rt, "attempt-2")

    assert second["plan"]["run"]["run_key"] == first["plan"]["run"]["run_key"]
    assert data_objects() == objects
    assert read_objects(boto3.client("s3"), "bronze/_runs/run=nightly-2026-11-20/parts/") == parts


def test_no_raw_ip_email_or_name_lands_in_bronze(sim: WistiaSimulator, rt: Runtime) -> None:
    ingest(rt, "night-1")
    truth = sim.ground_truth()
    personal = {e["ip"] for e in truth["events"] if e.get("ip")}
    personal |= {e["email"] for e in truth["events"] if e.get("email")}
    for visitor in truth["visitors"]:
        identity = visitor.get("visitor_identity") or {}
        personal |= {identity[f] for f in ("name", "email") if identity.get(f)}
    assert len(personal) > 100, "the demo account must carry personal data for this test to mean anything"

    text = "\n".join(
        (gzip.decompress(body) if key.endswith(".gz") else body).decode("utf-8")
        for key, body in read_objects(boto3.client("s3")).items()
    )
    leaked = sorted(value for value in personal if f'"{value}"' in text)
    assert leaked == []
    # The replacements are the keyed hashes, so analysts can still count distinct values.
    some_ip = sorted(personal)[0]
    assert PiiProtector("hash", PII_KEY.encode()).protect(some_ip) in text or "@" in some_ip


def test_a_failing_media_is_reported_retried_next_night_and_blocks_nothing(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    live = sorted(m["hashed_id"] for m in sim.ground_truth()["medias"] if not m["deleted"])
    broken = live[0]
    sim.set_faults(FaultProfile.parse(f"http_500@/v1/stats/medias/{broken}=1.0"))

    results = ingest(rt, "night-1")

    failed = [media_id for r in results["media"] for media_id in r["failed"]]
    assert failed == [broken]
    assert sum(r["medias"] for r in results["media"]) == len(live) - 1
    closed = commit.handler({"outcome": "succeeded", "run": results["plan"]["run"]}, CONTEXT)
    assert closed["counts"]["failed_medias"] == [broken]
    catalog = rt.state.media_catalog()
    assert catalog[broken]["retry_since"] == results["plan"]["run"]["window"]["start"]
    # The others remember the totals their merged engagement object answers to.
    assert "engagement_basis" not in catalog[broken]
    for media_id in set(live) - {broken}:
        basis = catalog[media_id]["engagement_basis"]
        truth = sim.ground_truth()["media_stats"][media_id]
        assert basis == {
            "snapshot_date": "2026-11-20",
            "asked_on": "2026-11-20",
            **{name: truth[name] for name in ("play_count", "hours_watched", "engagement")},
        }

    # Next night the media works again; its batch item carries the earliest day it still misses.
    sim.set_faults(FaultProfile.parse("none"))
    sim.advance_days(1)
    rt.environ["PIPELINE_CLOCK_DATE"] = "2026-11-21"
    planned = plan.handler({"input": {}, "run_id": "night-2"}, CONTEXT)
    items = {
        m["id"]: m["since"] for b in rt.bronze.get_json(planned["media_batches"]["key"]) for m in b["medias"]
    }
    assert items[broken] == "2026-10-21"
    assert planned["run"]["window"]["start"] == "2026-11-17"


def test_a_failed_run_releases_the_lock_and_leaves_watermarks(sim: WistiaSimulator, rt: Runtime) -> None:
    ingest(rt, "night-1")
    result = commit.handler(
        {"outcome": "failed", "run_id": "night-1", "error": {"Error": "States.TaskFailed", "Cause": "spark"}},
        CONTEXT,
    )
    assert result["lock_released"] is True
    assert rt.state.watermarks() == {}
    record = rt.state.run_record("night-1")
    assert record is not None and record["status"] == "failed" and "spark" in record["error"]


def test_a_map_that_failed_as_a_whole_is_recorded_with_its_units_errors(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    planned = plan.handler({"input": {}, "run_id": "night-1"}, CONTEXT)
    batches = rt.bronze.get_json(planned["media_batches"]["key"])
    sim.revoke_token()
    for batch in batches:
        with pytest.raises(AuthenticationError):
            ingest_media.handler({"run": planned["run"], "batch": batch}, CONTEXT)
    distributed_map_error = {
        "Error": "States.ExceedToleratedFailureThreshold",
        "Cause": "The specified tolerated failure threshold was exceeded",
    }

    result = commit.handler(
        {"outcome": "failed", "run_id": "night-1", "error": distributed_map_error}, CONTEXT
    )

    assert result["error_name"] == "States.ExceedToleratedFailureThreshold"
    assert result["cause"].startswith(f"{distributed_map_error['Cause']} Units that failed:")
    assert f"{len(batches)} x AuthenticationError: " in result["cause"]
    assert "media-batch-00001" in result["cause"]
    assert TOKEN not in result["cause"]
    record = rt.state.run_record("night-1")
    assert record is not None and "AuthenticationError" in record["error"]
    assert rt.bronze.read_parts(RunContext.model_validate(planned["run"])) == [], "a failure note is no part"

    # A re-run of the same night starts without the old notes.
    sim.set_token(TOKEN)
    again = plan.handler({"input": {}, "run_id": "night-1-again"}, CONTEXT)
    assert rt.bronze.list_keys(RunContext.model_validate(again["run"]).failures_prefix) == []


def test_a_backfill_never_moves_watermarks(sim: WistiaSimulator, rt: Runtime) -> None:
    first = ingest(rt, "night-1")
    commit.handler({"outcome": "succeeded", "run": first["plan"]["run"]}, CONTEXT)
    marks = rt.state.watermarks()

    fill = ingest(rt, "fill-1", {"mode": "backfill", "start": "2026-10-25", "end": "2026-10-27"})
    assert fill["visitors"]["mode"] == "skip"
    assert not [key for key in data_objects() if "backfill" in key and "media_stats" in key]
    closed = commit.handler({"outcome": "succeeded", "run": fill["plan"]["run"]}, CONTEXT)

    assert closed["watermarks_advanced"] == {}
    assert rt.state.watermarks() == marks


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"outcome": "maybe"}, "succeeded' or 'failed"),
        ({"outcome": "failed"}, "run_id"),
        ({"outcome": "succeeded"}, "no 'run' field"),
        ([], "JSON object"),
    ],
)
def test_malformed_commit_events_are_refused(rt: Runtime, event: Any, message: str) -> None:
    from wistia_ingest.handlers._common import InvalidEventError

    with pytest.raises(InvalidEventError, match=message):
        commit.handler(event, CONTEXT)


def test_unknown_merged_streams_are_refused(sim: WistiaSimulator, rt: Runtime) -> None:
    from wistia_ingest.handlers._common import InvalidEventError

    planned = plan.handler({"input": {}, "run_id": "night-1"}, CONTEXT)
    with pytest.raises(InvalidEventError, match="merged_streams"):
        commit.handler({"outcome": "succeeded", "run": planned["run"], "merged_streams": ["gold"]}, CONTEXT)
    assert rt.state.watermarks() == {}
