"""The real state machine in local mode: IngestMedia's child results go to S3 through its ResultWriter,
under the run's own metadata, and never into the execution's state (256 KiB, States.DataLimitExceeded).

The real ASL, template and Lambda handlers run against the Wistia simulator as in the end-to-end tests,
but Transform fails before spark-submit (the EMR runner's `fail_next_with`): the Maps are what is tested
here, and the run ends through RecordFailure without Spark.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from support.api import CLOCK_DATE
from support.local_world import local_pipeline
from wistia_local.aws_local import LocalAws
from wistia_local.local_run import LocalPipeline

pytestmark = pytest.mark.serial  # one moto server per process (LocalAws), for the module

NO_SPARK = "stopped before spark-submit: this test is about the Maps"


@dataclass
class Run:
    aws: LocalAws
    pipeline: LocalPipeline
    description: dict[str, Any]
    events: list[dict[str, Any]]

    def state_event(self, kind: str, name: str) -> dict[str, Any]:
        details = "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
        [event] = [e for e in self.events if e["type"] == kind and e[details]["name"] == name]
        return dict(event[details])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    environment = {
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "WISTIA_MAX_TRIES": "2",
        "MEDIA_BATCH_SIZE": "2",  # several batches, so several child results
    }
    workdir = tmp_path_factory.mktemp("workdir")
    with local_pipeline(workdir, environment) as (_, aws, pipeline):
        pipeline.emr.fail_next_with = NO_SPARK
        arn = pipeline.start({"run_date": CLOCK_DATE.isoformat()}, name="map-results-1")
        description = pipeline.wait(arn, timeout_seconds=600)
        yield Run(aws, pipeline, description, pipeline.history(arn))


def test_the_run_got_past_the_maps_and_failed_at_transform(run: Run) -> None:
    assert run.description["status"] == "FAILED"
    assert NO_SPARK in run.description["cause"]
    assert run.state_event("MapStateExited", "IngestMedia")  # the Map itself succeeded


def test_the_media_batches_results_are_written_under_the_runs_map_results(run: Run) -> None:
    plan = json.loads(run.state_event("MapStateEntered", "IngestMedia")["input"])["plan"]
    bucket, prefix = plan["map_results"]["bucket"], plan["map_results"]["prefix"]
    assert bucket == run.pipeline.lake_bucket
    assert prefix == f"bronze/_runs/run={plan['run']['run_key']}/map-results"

    s3 = run.aws.client("s3")
    [map_run] = run.aws.client("stepfunctions").list_map_runs(executionArn=run.description["executionArn"])[
        "mapRuns"
    ]
    folder = f"{prefix}/{map_run['mapRunArn'].split(':')[-1]}/"
    keys = sorted(
        item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/").get("Contents", [])
    )
    assert keys == [f"{folder}SUCCEEDED_0.json", f"{folder}manifest.json"]  # no batch failed

    def read(key: str) -> Any:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    manifest = read(f"{folder}manifest.json")
    assert manifest["MapRunArn"] == map_run["mapRunArn"]
    assert [file["Key"] for file in manifest["ResultFiles"]["SUCCEEDED"]] == [f"{folder}SUCCEEDED_0.json"]
    outputs = [json.loads(record["Output"]) for record in read(f"{folder}SUCCEEDED_0.json")]
    batches = plan["counts"]["media_batches"]
    assert batches > 1
    assert [output["unit"] for output in outputs] == [f"media-batch-{n:05d}" for n in range(1, batches + 1)]
    assert sum(output["medias"] for output in outputs) == plan["counts"]["medias"]


def test_the_state_carries_no_batch_result(run: Run) -> None:
    entered = json.loads(run.state_event("MapStateEntered", "IngestMedia")["input"])
    exited = json.loads(run.state_event("MapStateExited", "IngestMedia")["output"])
    assert exited == entered  # ResultPath null: the Map's result (the ResultWriter's pointer) is dropped
    for event in run.events:  # nor does any later state's input or output hold one
        for details in ("stateEnteredEventDetails", "stateExitedEventDetails"):
            text = str(event.get(details, {}).get("input") or event.get(details, {}).get("output") or "")
            assert "media-batch-" not in text, (event["type"], event[details]["name"])
