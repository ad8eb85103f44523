"""Real bronze for Spark tests: the Lambdas run against the simulator inside moto, then the bucket is
copied to a local directory laid out like local mode's lake mirror (`<lake>/<key>`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from support.api import TOKEN
from support.lake import BUCKET, create_resources, lambda_environment
from support.lambda_context import FakeLambdaContext
from wistia_ingest import aws, runtime
from wistia_ingest.handlers import commit, ingest_events, ingest_media, ingest_visitors, plan
from wistia_simulator import WistiaSimulator

CONTEXT = FakeLambdaContext()


@contextmanager
def lambda_world(sim: WistiaSimulator) -> Iterator[Any]:
    """moto with the Lambdas' resources and environment; yields an S3 client. Restores os.environ."""
    saved = dict(os.environ)
    os.environ.update(lambda_environment(sim.base_url))
    os.environ.update({"WISTIA_REQUESTS_PER_MINUTE": "6000", "WISTIA_MAX_TRIES": "3"})
    os.environ.pop("WISTIA_API_TOKEN", None)
    try:
        with mock_aws():
            aws.client.cache_clear()
            runtime.get_runtime.cache_clear()
            create_resources(boto3.Session(region_name="us-east-1"), token=TOKEN)
            yield boto3.client("s3", region_name="us-east-1")
    finally:
        aws.client.cache_clear()
        runtime.get_runtime.cache_clear()
        os.environ.clear()
        os.environ.update(saved)


def ingest_night(
    sim: WistiaSimulator, run_id: str, execution_input: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Plan and every ingestion Lambda for the simulator's current day (inside lambda_world)."""
    os.environ["PIPELINE_CLOCK_DATE"] = sim.now.date().isoformat()
    runtime.get_runtime.cache_clear()
    rt = runtime.get_runtime()
    planned: dict[str, Any] = plan.handler({"input": execution_input or {}, "run_id": run_id}, CONTEXT)
    run = planned["run"]
    for batch in rt.bronze.get_json(planned["media_batches"]["key"]):
        ingest_media.handler({"run": run, "batch": batch}, CONTEXT)
    for day in planned["days"]:
        ingest_events.handler({"run": run, "day": day}, CONTEXT)
    ingest_visitors.handler({"run": run}, CONTEXT)
    return planned


def close_night(planned: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = commit.handler({"outcome": "succeeded", "run": planned["run"]}, CONTEXT)
    return result


def export_bucket(s3: Any, lake_dir: Path) -> None:
    """Copy every object of the lake bucket to `<lake_dir>/<key>`."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            target = lake_dir / item["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())


def manifest_uri(lake_dir: Path, planned: dict[str, Any]) -> str:
    run = planned["run"]
    return f"{lake_dir.as_uri()}/{run['bronze_prefix']}/_runs/run={run['run_key']}/manifest.json"
