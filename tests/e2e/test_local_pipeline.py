"""The real state machine, end to end: moto's interpreter runs the ASL from template.yaml's substitutions,
the Lambdas run in-process, Transform runs the real job with delta-spark in this process's Delta session
(InProcessEmrRunner: no JVM start per night; the spark-submit path in EMR's layout is test_cli's demo
run and test_emr_layout). Few tests, each a night of the pipeline's life.

The tests share one simulated account and one workdir and run in order (one xdist group): night 1
(with a failing media), night 2 (incremental; the media is retried), a backfill, a dry run, a failed
Transform, and a second execution started while one runs.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from support.api import TOKEN
from support.local_world import local_pipeline
from wistia_local.aws_local import LocalAws
from wistia_local.local_run import LocalPipeline
from wistia_local.workdir import Workdir
from wistia_simulator import FaultProfile, WistiaSimulator

pytestmark = [pytest.mark.e2e, pytest.mark.serial("spark")]  # tests/conftest.py


@dataclass
class World:
    sim: WistiaSimulator
    aws: LocalAws
    pipeline: LocalPipeline
    workdir: Workdir
    broken_media: str
    results: dict[str, dict[str, Any]]

    def run(self, execution_input: dict[str, Any] | None = None, *, name: str) -> dict[str, Any]:
        arn = self.pipeline.start(
            {"run_date": self.sim.now.date().isoformat(), **(execution_input or {})}, name=name
        )
        description = self.pipeline.wait(arn, timeout_seconds=600)
        output = json.loads(description.get("output") or "null")
        result = {"description": description, "output": output, "arn": arn}
        self.results[name] = result
        return result

    def table(self, name: str) -> list[dict[str, Any]]:
        area = "ops" if name == "quarantine" else "gold"
        path = self.workdir.bucket_dir(self.pipeline.lake_bucket) / area / name
        return DeltaTable(str(path)).to_pyarrow_table().to_pylist()

    def run_record(self, name: str) -> dict[str, Any]:
        item = (
            self.aws.client("dynamodb")
            .get_item(TableName=self.pipeline.state_table, Key={"pk": {"S": "RUN"}, "sk": {"S": name}})
            .get("Item", {})
        )
        return {key: next(iter(value.values())) for key, value in item.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    environment = {"POWERTOOLS_LOG_LEVEL": "WARNING", "WISTIA_MAX_TRIES": "2"}
    with local_pipeline(tmp_path_factory.mktemp("workdir"), environment) as (sim, aws, pipeline):
        live = sorted(m["hashed_id"] for m in sim.ground_truth()["medias"] if not m["deleted"])
        yield World(sim, aws, pipeline, pipeline.workdir, live[0], {})


def test_night_one_succeeds_with_a_failing_media_tolerated(world: World) -> None:
    world.sim.set_faults(FaultProfile.parse(f"http_500@/v1/stats/medias/{world.broken_media}=1.0"))

    result = world.run(name="night-1")

    assert result["description"]["status"] == "SUCCEEDED", result["description"].get("cause")
    commit = result["output"]["commit"]
    assert commit["counts"]["failed_medias"] == [world.broken_media]
    assert world.pipeline.watermarks()["events"] == "2026-11-19"
    truth = world.sim.ground_truth()
    in_window = {
        e["event_key"] for e in truth["events"] if "2026-10-21" <= e["received_at"][:10] <= "2026-11-19"
    }
    assert {row["event_key"] for row in world.table("fct_events")} == in_window
    assert world.broken_media not in {row["media_id"] for row in world.table("fct_media_daily")}
    assert world.run_record("night-1")["status"] == "succeeded"
    assert world.workdir.bucket_dir(world.pipeline.lake_bucket).joinpath("gold/dim_media/_delta_log").is_dir()


def test_night_two_is_incremental_and_retries_the_failed_media(world: World) -> None:
    world.sim.set_faults(FaultProfile.parse("none"))
    world.sim.advance_days(1)
    before = world.sim.stats()["by_route"].get("/medias", 0)

    result = world.run(name="night-2")

    assert result["description"]["status"] == "SUCCEEDED", result["description"].get("cause")
    plan = result["output"]["plan"]
    assert (plan["run"]["window"]["start"], plan["run"]["window"]["end"]) == ("2026-11-17", "2026-11-20")
    assert plan["full_sweep"] is False
    assert world.sim.stats()["by_route"]["/medias"] - before == 1, "one listing page down to the watermark"
    days = {
        row["stat_date"].isoformat()
        for row in world.table("fct_media_daily")
        if row["media_id"] == world.broken_media
    }
    assert min(days) == "2026-10-21", "the failed media's missed window was re-pulled"
    assert world.pipeline.watermarks()["events"] == "2026-11-20"
    keys = [row["event_key"] for row in world.table("fct_events")]
    assert len(keys) == len(set(keys))


def test_a_backfill_leaves_watermarks_alone(world: World) -> None:
    marks = world.pipeline.watermarks()

    result = world.run({"mode": "backfill", "start": "2026-11-01", "end": "2026-11-03"}, name="backfill-1")

    assert result["description"]["status"] == "SUCCEEDED", result["description"].get("cause")
    assert result["output"]["commit"]["watermarks_advanced"] == {}
    assert world.pipeline.watermarks() == marks


def test_a_dry_run_writes_nothing(world: World) -> None:
    s3 = world.aws.client("s3")
    objects = s3.list_objects_v2(Bucket=world.pipeline.lake_bucket).get("KeyCount")
    items = world.aws.client("dynamodb").scan(TableName=world.pipeline.state_table)["Count"]

    result = world.run({"dry_run": True}, name="dry-1")

    assert result["description"]["status"] == "SUCCEEDED"
    assert result["output"]["dry_run"] is True and result["output"]["counts"]["medias"] > 0
    assert s3.list_objects_v2(Bucket=world.pipeline.lake_bucket).get("KeyCount") == objects
    assert world.aws.client("dynamodb").scan(TableName=world.pipeline.state_table)["Count"] == items


def test_a_failed_transform_releases_the_lock_and_keeps_watermarks(world: World) -> None:
    marks = world.pipeline.watermarks()
    world.pipeline.emr.fail_next_with = "executor lost: simulated Spark failure"

    result = world.run(name="night-2-failed")

    description = result["description"]
    assert description["status"] == "FAILED"
    assert "simulated Spark failure" in description["cause"]
    assert world.pipeline.watermarks() == marks
    record = world.run_record("night-2-failed")
    assert record["status"] == "failed" and "simulated Spark failure" in record["error"]
    assert "Item" not in world.aws.client("dynamodb").get_item(
        TableName=world.pipeline.state_table, Key={"pk": {"S": "LOCK"}, "sk": {"S": "pipeline"}}
    )


def test_a_second_execution_is_refused_while_one_runs(world: World) -> None:
    entered, release = threading.Event(), threading.Event()

    def blocking_runner(job: dict[str, Any]) -> None:
        entered.set()
        release.wait(timeout=120)
        raise RuntimeError("released by the test")

    world.aws.set_emr_runner(blocking_runner)
    try:
        first = world.pipeline.start({"run_date": world.sim.now.date().isoformat()}, name="holder")
        assert entered.wait(timeout=120), "the first execution never reached Transform"
        second = world.run(name="intruder")
        release.set()
        world.pipeline.wait(first, timeout_seconds=120)
    finally:
        release.set()
        world.aws.set_emr_runner(world.pipeline.emr)

    description = second["description"]
    assert description["status"] == "FAILED"
    assert description["error"] == "LockHeldError"
    assert "holder" in description["cause"]
    assert world.run_record("intruder")["status"] == "failed"
    time.sleep(0)  # the holder's own failure released its lock:
    assert "Item" not in world.aws.client("dynamodb").get_item(
        TableName=world.pipeline.state_table, Key={"pk": {"S": "LOCK"}, "sk": {"S": "pipeline"}}
    )


def test_a_token_revoked_mid_run_fails_clearly_and_the_next_run_recovers(world: World) -> None:
    marks = world.pipeline.watermarks()
    world.sim.advance_days(1)
    arn = world.pipeline.start({"run_date": world.sim.now.date().isoformat()}, name="revoked")
    deadline = time.monotonic() + 120
    while not any(
        e.get("stateEnteredEventDetails", {}).get("name") == "IngestMedia"
        for e in world.pipeline.history(arn)
    ):
        assert time.monotonic() < deadline, "the run never reached IngestMedia"
        time.sleep(0.05)
    world.sim.revoke_token()
    description = world.pipeline.wait(arn, timeout_seconds=300)
    world.sim.set_token(TOKEN)

    assert description["status"] == "FAILED"
    # Every media batch failed with AuthenticationError, so the distributed Map fails as on AWS: over its
    # tolerated failure threshold. Its cause alone would not say why; RecordFailure adds the batches' notes.
    # (If the batches were done before the revocation, IngestEvents fails with AuthenticationError itself.)
    assert description["error"] in {"AuthenticationError", "States.ExceedToleratedFailureThreshold"}
    assert "AuthenticationError" in description["cause"], "the cause says why, whichever step failed"
    assert TOKEN not in description["cause"]
    assert world.pipeline.watermarks() == marks, "nothing advances"
    assert world.run_record("revoked")["status"] == "failed"

    result = world.run(name="after-revoked")
    assert result["description"]["status"] == "SUCCEEDED", result["description"].get("cause")
    day = world.sim.now.date() - dt.timedelta(days=1)
    truth = {
        e["event_key"] for e in world.sim.ground_truth()["events"] if e["received_at"][:10] == day.isoformat()
    }
    keys = [row["event_key"] for row in world.table("fct_events") if row["event_date"] == day]
    assert sorted(keys) == sorted(truth), "nothing lost or duplicated after the failed night"


def test_state_persists_in_the_workdir(world: World) -> None:
    world.pipeline.save()
    saved = json.loads((world.workdir.root / "dynamodb" / f"{world.pipeline.state_table}.json").read_text())
    assert {item["sk"]["S"] for item in saved if item["pk"]["S"] == "WATERMARK"} >= {
        "events",
        "by_date",
        "medias",
    }
    mirror = world.workdir.bucket_dir(world.pipeline.lake_bucket)
    assert list(mirror.glob("bronze/events/day=*/all.json.gz"))
    assert Path(mirror / "gold/fct_events/_delta_log").is_dir()
