"""The pipeline deployed on this machine: the template's resources in moto, the real ASL, in-process
Lambdas, and spark-submit for Transform, bound to a Wistia API (the simulator or a real one).

LocalPipeline creates the resources and restores the workdir's state; `start` begins a named execution,
`wait` follows it and reports each top-level state as it finishes, `report` summarises it, and `save`
writes the state back to the workdir.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wistia_ingest import aws as lambda_aws
from wistia_ingest import runtime as lambda_runtime
from wistia_local.aws_local import LocalAws
from wistia_local.local_emr import EmrRunner, LocalEmrRunner, deploy_spark_job
from wistia_local.local_resources import LocalStack, create_stack
from wistia_local.template import REPO_ROOT
from wistia_local.workdir import Workdir

REGION = "us-east-1"
POLL_SECONDS = 0.25
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@dataclass
class ExecutionReport:
    name: str
    status: str
    run_date: dt.date
    states: list[dict[str, Any]]
    output: Any
    error: str | None
    cause: str | None
    requests: dict[str, Any]
    watermarks: dict[str, str]
    transform: dict[str, Any] | None
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "execution": self.name,
            "status": self.status,
            "run_date": self.run_date.isoformat(),
            "states": self.states,
            "error": self.error,
            "cause": self.cause,
            "requests": self.requests,
            "watermarks": self.watermarks,
            "transform": self.transform,
            "seconds": round(self.seconds, 1),
        }


class LocalPipeline:
    """The local deployment: resources in moto, bound to a Wistia API, state persisted in a workdir."""

    def __init__(
        self,
        aws: LocalAws,
        workdir: Workdir,
        *,
        wistia_base_url: str,
        wistia_token: str,
        clock_date: Callable[[], dt.date],
        on_event: Callable[[str], None] = print,
        extra_environment: dict[str, str] | None = None,
        emr_runner: Callable[..., EmrRunner] = LocalEmrRunner,
    ) -> None:
        """`emr_runner` runs Transform: spark-submit in EMR's layout, or (tests) `InProcessEmrRunner`."""
        self.aws = aws
        self.workdir = workdir
        self.clock_date = clock_date
        self.on_event = on_event
        # Before the handlers are registered (and imported): their loggers read the level at import.
        os.environ.update(extra_environment or {})
        self.stack: LocalStack = create_stack(
            aws,
            region=REGION,
            secret_values={
                "WistiaTokenSecret": {"token": wistia_token},
                "PiiKeySecret": {"key": workdir.pii_key()},
            },
        )
        self.emr = emr_runner(
            workdir=workdir, s3=aws.client("s3"), log_dir=workdir.root / "logs", on_event=on_event
        )
        aws.set_emr_runner(self.emr)
        self.environment = {
            **self.stack.lambda_environment,
            **aws.environment(),
            "WISTIA_BASE_URL": wistia_base_url,
            **(extra_environment or {}),
        }
        self.environment.pop("WISTIA_API_TOKEN", None)
        os.environ.update(self.environment)
        self._reset_lambda_caches()
        self.restore()
        # After the restore, which would bring back an earlier run's copy: tonight runs this checkout's job.
        deploy_spark_job(
            aws.client("s3"),
            entry_point_uri=self.stack.outputs["SparkEntryPointUri"],
            py_files_uri=self.stack.outputs["SparkPyFilesUri"],
        )

    @functools.cached_property
    def state_names(self) -> frozenset[str]:
        definition = json.loads(
            (REPO_ROOT / "statemachine" / "pipeline.asl.json").read_text(encoding="utf-8")
        )
        return frozenset(definition["States"])

    @property
    def lake_bucket(self) -> str:
        return self.stack.buckets["LakeBucket"]

    @property
    def state_table(self) -> str:
        return next(iter(self.stack.tables.values()))

    def restore(self) -> None:
        for bucket in self.stack.buckets.values():
            self.workdir.restore_bucket(self.aws.client("s3"), bucket)
        self.workdir.restore_table(self.aws.client("dynamodb"), self.state_table)

    def save(self) -> None:
        for bucket in self.stack.buckets.values():
            self.workdir.save_bucket(self.aws.client("s3"), bucket)
        self.workdir.save_table(self.aws.client("dynamodb"), self.state_table)

    def start(self, execution_input: dict[str, Any], *, name: str | None = None) -> str:
        """Start a named execution (moto needs a name) and return its ARN."""
        run_date = execution_input.get("run_date", self.clock_date().isoformat())
        name = name or f"{execution_input.get('mode', 'nightly')}-{run_date}-{uuid.uuid4().hex[:8]}"
        os.environ["PIPELINE_CLOCK_DATE"] = self.clock_date().isoformat()
        self._reset_lambda_caches()
        self._warm_lambda_container()
        response = self.aws.client("stepfunctions").start_execution(
            stateMachineArn=self.stack.state_machine_arn, name=name, input=json.dumps(execution_input)
        )
        return str(response["executionArn"])

    def wait(self, execution_arn: str, *, timeout_seconds: float = 1800) -> dict[str, Any]:
        """Poll until the execution ends, reporting each top-level state as it finishes."""
        sfn = self.aws.client("stepfunctions")
        deadline = time.monotonic() + timeout_seconds
        reported = 0
        while True:
            description: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            events = self.history(execution_arn)
            for state in _top_level_states(events, self.state_names)[reported:]:
                if state["status"] != "running":
                    self.on_event(f"  {state['name']:<16} {state['status']:<9} {state['seconds']:>6.1f} s")
                    reported += 1
            if description["status"] in TERMINAL:
                return description
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"execution {execution_arn} still {description['status']} after {timeout_seconds} s"
                )
            time.sleep(POLL_SECONDS)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for page in (
            self.aws.client("stepfunctions")
            .get_paginator("get_execution_history")
            .paginate(executionArn=execution_arn)
        ):
            events.extend(page["events"])
        return events

    def watermarks(self) -> dict[str, str]:
        items = self.aws.client("dynamodb").query(
            TableName=self.state_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "WATERMARK"}},
        )["Items"]
        return {item["sk"]["S"]: item["value"]["S"] for item in items}

    def report(
        self, execution_arn: str, description: dict[str, Any], *, started: float, requests: dict[str, Any]
    ) -> ExecutionReport:
        output = json.loads(description.get("output") or "null")
        run_date = self.clock_date()
        transform = None
        if isinstance(output, dict) and output.get("plan", {}).get("run"):
            run = output["plan"]["run"]
            summary = (
                self.workdir.bucket_dir(self.lake_bucket)
                / run["bronze_prefix"]
                / "_runs"
                / f"run={run['run_key']}"
                / "transform_summary.json"
            )
            if summary.is_file():
                transform = json.loads(summary.read_text(encoding="utf-8"))
        return ExecutionReport(
            name=str(description["name"]),
            status=str(description["status"]),
            run_date=run_date,
            states=_top_level_states(self.history(execution_arn), self.state_names),
            output=output,
            error=description.get("error"),
            cause=description.get("cause"),
            requests=requests,
            watermarks=self.watermarks(),
            transform=transform,
            seconds=time.monotonic() - started,
        )

    @staticmethod
    def _warm_lambda_container() -> None:
        """Create the handlers' clients and read their secrets once, on this thread: Map iterations
        call handlers concurrently, and creating boto3 clients concurrently is not thread-safe."""
        rt = lambda_runtime.get_runtime()
        for service in ("s3", "dynamodb", "secretsmanager"):
            lambda_aws.client(service)
        _ = (rt.bronze, rt.state, rt.client_config, rt.pii)

    @staticmethod
    def _reset_lambda_caches() -> None:
        """The in-process 'containers' must see this run's environment (clock date, endpoints)."""
        lambda_aws.client.cache_clear()
        lambda_runtime.get_runtime.cache_clear()


def _top_level_states(events: list[dict[str, Any]], names: frozenset[str]) -> list[dict[str, Any]]:
    """The main definition's states in the order entered, with status and duration (Map iterations'
    inner states are left out: they are the Map's)."""
    states: list[dict[str, Any]] = []
    running: dict[str, dict[str, Any]] = {}
    for event in events:
        kind = str(event.get("type", ""))
        entered = event.get("stateEnteredEventDetails", {}).get("name")
        exited = event.get("stateExitedEventDetails", {}).get("name")
        if kind.endswith("StateEntered") and entered in names and entered not in running:
            running[entered] = {
                "name": entered,
                "status": "running",
                "entered": event["timestamp"],
                "seconds": 0.0,
            }
            states.append(running[entered])
        elif kind.endswith("StateExited") and exited in running:
            state = running.pop(exited)
            state["status"] = "done"
            state["seconds"] = _seconds_between(state["entered"], event["timestamp"])
        elif kind in ("ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"):
            for state in running.values():
                state["status"] = "failed"
            running.clear()
    return [{**state, "entered": str(state["entered"])} for state in states]


def _seconds_between(start: Any, end: Any) -> float:
    try:
        return max(0.0, float((end - start).total_seconds()))
    except TypeError:
        return 0.0


def new_token() -> str:
    return secrets.token_urlsafe(24)
