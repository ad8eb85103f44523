"""The Lambdas against behaviours of the real API our first simulator did not have (docs/client.md's
assumptions): day buckets in an account timezone, a server that serves 10 rows a page, a visitor list
that moves during a snapshot, and the two 401s that are about permissions, not the token."""

from __future__ import annotations

import gzip
import json
from typing import Any

import boto3
import pytest

from support.lake import read_objects
from support.lambda_context import FakeLambdaContext
from wistia_ingest.errors import AuthenticationError
from wistia_ingest.handlers import commit, ingest_events, ingest_media, ingest_visitors, plan
from wistia_ingest.runtime import Runtime, get_runtime
from wistia_simulator import WistiaSimulator
from wistia_simulator.quirks import Quirks

pytestmark = pytest.mark.usefixtures("lambda_env")
CONTEXT = FakeLambdaContext()


def ingest(rt: Runtime, run_id: str) -> dict[str, Any]:
    planned: dict[str, Any] = plan.handler({"input": {}, "run_id": run_id}, CONTEXT)
    run = planned["run"]
    for batch in rt.bronze.get_json(planned["media_batches"]["key"]):
        ingest_media.handler({"run": run, "batch": batch}, CONTEXT)
    events = [ingest_events.handler({"run": run, "day": day}, CONTEXT) for day in planned["days"]]
    visitors = ingest_visitors.handler({"run": run}, CONTEXT)
    return {"plan": planned, "events": events, "visitors": visitors}


def bronze_events() -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = {}
    for body in read_objects(boto3.client("s3"), "bronze/events/").values():
        for event in json.loads(gzip.decompress(body)):
            events[event["event_key"]] = event
    return events


@pytest.mark.parametrize(("offset", "watermark"), [(-5, "2026-11-19"), (5, "2026-11-18")])
def test_day_buckets_in_an_account_timezone_lose_nothing_and_hold_the_watermark_honest(
    sim: WistiaSimulator, rt: Runtime, offset: int, watermark: str
) -> None:
    sim.set_quirks(Quirks.parse(f"tz,tz_offset={offset}"))
    results = ingest(rt, "night-1")
    days = results["plan"]["days"]
    spread = {name: sum(r["spread"][name] for r in results["events"]) for name in ("before", "after")}
    assert spread == (
        {"before": 0, "after": spread["after"]} if offset < 0 else {"before": spread["before"], "after": 0}
    )
    assert max(spread.values()) > 0, "the buckets straddle UTC days"

    # Every event of a UTC day whose buckets were all read is in bronze, once, filed by its own day.
    stored = bronze_events()
    truth = sim.ground_truth()["events"]
    inner = [e for e in truth if days[1] <= e["received_at"][:10] <= days[-2]]
    assert inner and {e["event_key"] for e in inner} <= stored.keys()

    closed = commit.handler({"outcome": "succeeded", "run": results["plan"]["run"]}, CONTEXT)
    # West of UTC the last bucket completes the last UTC day; east of it, that day's evening sits in
    # tomorrow's bucket, so the watermark stops a day short (and tomorrow's lookback reads it).
    assert closed["watermarks_advanced"]["events"] == watermark


def test_a_server_serving_ten_rows_a_page_is_read_to_the_end(sim: WistiaSimulator, rt: Runtime) -> None:
    sim.set_quirks(Quirks.parse("page_cap"))
    results = ingest(rt, "night-1")
    truth = sim.ground_truth()
    days = results["plan"]["days"]
    in_window = {e["event_key"] for e in truth["events"] if days[0] <= e["received_at"][:10] <= days[-1]}
    assert bronze_events().keys() == in_window
    assert results["visitors"]["records"] == len(truth["visitors"])
    assert results["plan"]["counts"]["medias"] == len([m for m in truth["medias"] if not m["deleted"]])
    # Each day learnt the page size with one extra request at most: pages of 10, plus one.
    for result in results["events"]:
        assert result["requests"] <= result["records"] // 10 + 2


def test_a_visitor_list_that_moves_during_the_snapshot_is_read_whole(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    sim.set_quirks(Quirks.parse("visitor_churn,page_cap,churn_share=0.5"))
    planned = plan.handler({"input": {}, "run_id": "night-1"}, CONTEXT)
    result = ingest_visitors.handler({"run": planned["run"]}, CONTEXT)

    truth = {v["visitor_key"] for v in sim.ground_truth()["visitors"]}
    stored: list[str] = []
    for body in read_objects(boto3.client("s3"), "bronze/visitors/").values():
        stored += [v["visitor_key"] for v in json.loads(gzip.decompress(body))]
    assert result["repeats"] > 0, "the list moved under the scan"
    assert sorted(stored) == sorted(truth), "everyone once: nobody missed, nobody written twice"
    assert result["records"] == len(truth)


def test_a_quiet_visitor_list_costs_no_extra_request(sim: WistiaSimulator, rt: Runtime) -> None:
    planned = plan.handler({"input": {}, "run_id": "night-1"}, CONTEXT)
    before = sim.stats()["by_route"].get("/stats/visitors", 0)
    result = ingest_visitors.handler({"run": planned["run"]}, CONTEXT)
    assert result["repeats"] == 0
    # The obvious loop's cost: full pages, then the short (here: empty) one; no head re-read.
    assert (
        sim.stats()["by_route"]["/stats/visitors"] - before == len(sim.ground_truth()["visitors"]) // 100 + 1
    )


def test_plans_stats_probe_is_the_first_medias_totals_so_the_night_costs_no_extra_request(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    results = ingest(rt, "night-1")
    live = [m for m in sim.ground_truth()["medias"] if not m["deleted"]]
    routes = sim.stats()["by_route"]
    assert routes["/stats/medias/{id}"] == len(live), "one totals request per media, the probe included"
    assert "/stats/account" not in routes
    assert results["plan"]["counts"]["medias"] == len(live)


def test_a_token_without_the_stats_permission_fails_at_plan_and_writes_nothing(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    sim.set_quirks(Quirks.parse("scope_missing"))
    with pytest.raises(AuthenticationError, match="'Read detailed stats' permission") as caught:
        plan.handler({"input": {}, "run_id": "night-1"}, CONTEXT)
    assert "unauthorized_scope" not in str(caught.value).split("Unauthorized")[0]
    assert read_objects(boto3.client("s3"), "bronze/") == {}
    assert rt.state.lock_holder() is None and rt.state.watermarks() == {}


def test_refused_basic_auth_says_to_use_bearer_and_writes_nothing(
    sim: WistiaSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim.set_quirks(Quirks.parse("basic_refused"))
    monkeypatch.setenv("WISTIA_AUTH_SCHEME", "basic")
    get_runtime.cache_clear()
    rt = get_runtime()
    with pytest.raises(AuthenticationError, match="WISTIA_AUTH_SCHEME=bearer"):
        plan.handler({"input": {}, "run_id": "night-1"}, CONTEXT)
    assert read_objects(boto3.client("s3"), "bronze/") == {}
    assert rt.state.lock_holder() is None and rt.state.watermarks() == {}
