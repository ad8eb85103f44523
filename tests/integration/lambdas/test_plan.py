"""The Plan Lambda against moto and the simulator: windows, listing, batches, lock, dry runs, refusals."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import pytest

from support.api import CLOCK_DATE
from support.lake import decode, read_objects
from support.lambda_context import FakeLambdaContext
from wistia_ingest.handlers import plan
from wistia_ingest.handlers._common import InvalidEventError
from wistia_ingest.run_request import InvalidRunRequestError
from wistia_ingest.runtime import Runtime
from wistia_ingest.state import LockHeldError
from wistia_simulator import WistiaSimulator

pytestmark = pytest.mark.usefixtures("lambda_env")


def run_plan(run_id: str = "exec-1", **execution_input: Any) -> dict[str, Any]:
    result: dict[str, Any] = plan.handler({"input": execution_input, "run_id": run_id}, FakeLambdaContext())
    return result


def live_media_ids(sim: WistiaSimulator) -> set[str]:
    return {m["hashed_id"] for m in sim.ground_truth()["medias"] if not m["deleted"]}


def test_first_nightly_plan_lists_every_media_and_writes_pointers_only(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    result = run_plan()

    run = result["run"]
    assert run["run_key"] == "nightly-2026-11-20"
    assert (run["window"]["start"], run["window"]["end"]) == ("2026-10-21", "2026-11-19")
    assert result["full_sweep"] is True and result["visitors"] == "snapshot"
    assert result["days"][0] == "2026-10-21" and result["days"][-1] == "2026-11-19"
    assert len(json.dumps(result)) < 8 * 1024, "state payloads carry pointers and counts, not data"
    assert result["manifest_uri"] == "s3://wistia-lake-test/bronze/_runs/run=nightly-2026-11-20/manifest.json"
    assert result["lake_uri"] == "s3://wistia-lake-test"
    assert result["map"] == {"max_concurrency": 5, "tolerated_failure_percentage": 5.0}
    assert result["map_results"] == {  # IngestMedia's ResultWriter, under the run's own metadata
        "bucket": "wistia-lake-test",
        "prefix": "bronze/_runs/run=nightly-2026-11-20/map-results",
    }

    batches = rt.bronze.get_json(result["media_batches"]["key"])
    planned = [media["id"] for batch in batches for media in batch["medias"]]
    assert sorted(planned) == sorted(live_media_ids(sim))
    assert all(len(batch["medias"]) <= rt.settings.media_batch_size for batch in batches)
    assert [batch["index"] for batch in batches] == list(range(1, len(batches) + 1))

    pages = read_objects(boto3.client("s3"), "bronze/medias/run=nightly-2026-11-20/")
    listed = [media["hashed_id"] for key, body in sorted(pages.items()) for media in decode(body, key)]
    assert sorted(listed) == sorted(live_media_ids(sim))
    holder = rt.state.lock_holder()
    assert holder is not None and holder["run_id"] == "exec-1"
    assert rt.state.watermarks() == {}, "planning never moves a watermark"
    assert rt.state.run_record("exec-1")["status"] == "running"  # type: ignore[index]


def test_a_concurrent_execution_is_refused(sim: WistiaSimulator, rt: Runtime) -> None:
    run_plan("exec-1")
    with pytest.raises(LockHeldError, match="exec-1"):
        run_plan("exec-2")


def test_dry_run_plans_and_writes_nothing(sim: WistiaSimulator, rt: Runtime) -> None:
    result = run_plan(dry_run=True)
    assert result["dry_run"] is True
    assert result["counts"]["medias"] == len(live_media_ids(sim))
    assert read_objects(boto3.client("s3")) == {}
    assert rt.state.lock_holder() is None
    assert rt.state.media_catalog() == {}


def test_second_night_lists_only_changed_medias(sim: WistiaSimulator, rt: Runtime) -> None:
    deleted_before = {m["hashed_id"] for m in sim.ground_truth()["medias"] if m["deleted"]}
    run_plan("night-1")
    rt.state.release_lock("night-1")
    rt.state.advance_watermark(
        "medias",
        rt.bronze.get_json("bronze/_runs/run=nightly-2026-11-20/manifest.json")["listing"]["high_water"],
        run_id="night-1",
    )
    rt.state.advance_watermark("media_sweep", "2026-11-20", run_id="night-1")
    rt.state.advance_watermark("events", "2026-11-19", run_id="night-1")
    rt.state.advance_watermark("by_date", "2026-11-19", run_id="night-1")
    sim.advance_days(1)
    rt.environ["PIPELINE_CLOCK_DATE"] = "2026-11-21"
    before = sim.stats()["by_route"].get("/medias", 0)

    result = run_plan("night-2")

    assert result["full_sweep"] is False
    assert sim.stats()["by_route"]["/medias"] - before == 1, "one page down to the watermark"
    assert (result["run"]["window"]["start"], result["run"]["window"]["end"]) == ("2026-11-17", "2026-11-20")
    batches = rt.bronze.get_json(result["media_batches"]["key"])
    planned = {m["id"] for b in batches for m in b["medias"]}
    # An incremental listing cannot see deletions (the next full sweep does): a media deleted since the
    # last sweep is still planned, and its ingestion reports it as gone.
    deleted_since = {m["hashed_id"] for m in sim.ground_truth()["medias"] if m["deleted"]} - deleted_before
    assert live_media_ids(sim) <= planned
    assert planned - live_media_ids(sim) <= deleted_since


def test_full_refresh_notices_deleted_medias(sim: WistiaSimulator, rt: Runtime) -> None:
    run_plan("night-1")
    rt.state.release_lock("night-1")
    gone = sorted(live_media_ids(sim))[0]
    sim.delete_media(gone)
    result = run_plan("night-2", full_refresh=True)
    batches = rt.bronze.get_json(result["media_batches"]["key"])
    planned = {m["id"] for b in batches for m in b["medias"]}
    assert gone not in planned
    assert gone not in rt.state.media_catalog()


def test_batch_items_carry_each_medias_engagement_basis_unless_a_full_refresh(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    run_plan("night-1")
    rt.state.release_lock("night-1")
    known, unknown = sorted(live_media_ids(sim))[:2]
    basis = {
        "snapshot_date": "2026-11-20",
        "asked_on": "2026-11-18",
        "play_count": 3,
        "hours_watched": 0.5,
        "engagement": 0.25,
    }
    rt.state.media_ingested(known, engagement_basis=basis)

    def items(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {m["id"]: m for b in rt.bronze.get_json(result["media_batches"]["key"]) for m in b["medias"]}

    nightly = items(run_plan("night-2"))
    assert nightly[known]["engagement_basis"] == basis
    assert "engagement_basis" not in nightly[unknown]
    rt.state.release_lock("night-2")
    assert all("engagement_basis" not in m for m in items(run_plan("night-3", full_refresh=True)).values())


def test_backfill_plans_its_own_window_and_medias(sim: WistiaSimulator, rt: Runtime) -> None:
    run_plan("night-1")
    rt.state.release_lock("night-1")
    media_ids = sorted(live_media_ids(sim))[:2]
    result = run_plan("fill-1", mode="backfill", start="2026-11-01", end="2026-11-05", media_ids=media_ids)
    run = result["run"]
    assert run["mode"] == "backfill" and run["run_key"].startswith("backfill-2026-11-01-2026-11-05-m")
    assert result["visitors"] == "skip" and run["stats_snapshot"] is False
    batches = rt.bronze.get_json(result["media_batches"]["key"])
    assert [m["id"] for b in batches for m in b["medias"]] == media_ids
    assert result["days"] == [f"2026-11-0{n}" for n in range(1, 6)]


def test_only_tonights_run_snapshots_media_totals(sim: WistiaSimulator, rt: Runtime) -> None:
    tonight = run_plan("night-1")
    rt.state.release_lock("night-1")
    earlier = run_plan("rerun-1", run_date="2026-11-18")  # a manual re-run of an earlier night
    assert tonight["run"]["stats_snapshot"] is True
    assert earlier["run"]["stats_snapshot"] is False, "today's totals must not be filed under 2026-11-18"


def test_an_unknown_media_is_refused_after_an_incremental_listing_too(
    sim: WistiaSimulator, rt: Runtime
) -> None:
    run_plan("night-1")  # fills the catalog: the next listing is incremental
    rt.state.release_lock("night-1")
    before = read_objects(boto3.client("s3"))
    with pytest.raises(InvalidRunRequestError, match=r"unknown media ids \['zzzzzzzzzz'\]"):
        run_plan("fill-1", mode="backfill", start="2026-11-01", end="2026-11-02", media_ids=["zzzzzzzzzz"])
    assert read_objects(boto3.client("s3")) == before


@pytest.mark.parametrize(
    ("execution_input", "message"),
    [
        ({"mode": "backfill", "start": "2026-11-10", "end": "2026-11-01"}, "after end"),
        ({"mode": "backfill", "start": "2026-11-18", "end": "2026-11-20"}, "not a closed day"),
        ({"mode": "backfill", "start": "2024-01-01", "end": "2024-01-31"}, "retention"),
        ({"run_date": "2026-12-01"}, "in the future"),
        (
            {"mode": "backfill", "start": "2026-11-01", "end": "2026-11-02", "media_ids": ["nope"]},
            "unknown media",
        ),
        (
            {"mode": "backfill", "start": "2026-11-01", "end": "2026-11-02", "media_ids": ["a/../b"]},
            "media_ids.0: String should match pattern",
        ),
    ],
)
def test_invalid_runs_are_refused_before_anything_is_written(
    sim: WistiaSimulator, rt: Runtime, execution_input: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRunRequestError, match=message):
        run_plan(**execution_input)
    assert read_objects(boto3.client("s3")) == {}
    assert rt.state.watermarks() == {}


def test_plan_without_run_id_is_a_clear_error(rt: Runtime) -> None:
    with pytest.raises(InvalidEventError, match="run_id"):
        plan.handler({"input": {}}, FakeLambdaContext())


def test_clock_date_is_the_simulators(rt: Runtime) -> None:
    assert rt.today() == CLOCK_DATE == dt.date(2026, 11, 20)
