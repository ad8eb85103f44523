"""Smoke test of the moto patches (wistia_local.moto_patches): every patched path runs here, for real.

A small inline state machine uses each ASL feature the pipeline's `statemachine/pipeline.asl.json` relies
on, run by moto's interpreter on a `LocalAws` server with real boto3 clients. If a moto upgrade (or a
change of the patches) breaks one, a test here names it. Handlers are functions of this module,
registered by dotted path ("<this module>:<function>") so the in-process import path is exercised too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from wistia_local import moto_patches
from wistia_local.aws_local import LocalAws, LocalAwsError

pytestmark = pytest.mark.serial  # one moto server per process, holding state across these tests

BUCKET = "smoke-lake"
TABLE = "smoke-state"
TOPIC = "smoke-alerts"
THIS = __name__


# --------------------------------------------------------------------------------------------------
# Handlers (run in the moto server's threads)


class FlakyError(Exception):
    """Fails the first call of an execution, so a Retry has something to retry."""


class LockHeldError(Exception):
    """Stands for the Plan's refusal when another run holds the lock."""


class BatchFailedError(Exception):
    """One item of the distributed Map fails."""


class Gauge:
    """How many handler calls run at once, and the most that did."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


_attempts: dict[str, int] = {}
_gauge = Gauge()


def plan(event: dict[str, Any], context: Any) -> dict[str, Any]:
    import boto3  # the handler reaches moto through AWS_ENDPOINT_URL, like the real ones

    run_id = event["run_id"]
    if event["input"].get("locked"):
        raise LockHeldError(f"the run lock is held by other-run (asked by {run_id})")
    if event["input"].get("exit"):
        raise SystemExit(137)  # what a runtime killed for memory looks like from inside
    _attempts[run_id] = _attempts.get(run_id, 0) + 1
    if _attempts[run_id] == 1:
        raise FlakyError("first attempt fails")
    key = f"manifests/{run_id}.json"
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=json.dumps([["m1", "m2"], ["m3"], ["m4"]]))
    return {
        "run_id": run_id,
        "started": event["started"],
        "context": [context.function_name, context.memory_limit_in_mb, context.invoked_function_arn],
        "manifest": {"bucket": BUCKET, "key": key},
        "max_concurrency": 2,
        "tolerated": 50,
    }


def double(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _gauge.enter()
    try:
        time.sleep(0.2)
        return {"index": event["index"], "doubled": event["value"] * 2, "run_id": event["run_id"]}
    finally:
        _gauge.leave()


def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _gauge.enter()
    try:
        time.sleep(0.1)
        if "m3" in event["batch"] or event["batch"] == ["x"]:
            raise BatchFailedError(f"batch {event['batch']} failed")
        return {"medias": len(event["batch"]), "run_id": event["run_id"]}
    finally:
        _gauge.leave()


# --------------------------------------------------------------------------------------------------
# The smoke state machine


def lambda_task(function: str, payload: dict[str, Any] | str, **fields: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = {"FunctionName": function}
    if isinstance(payload, str):
        parameters["Payload.$"] = payload
    else:
        parameters["Payload"] = payload
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": parameters, **fields}


def smoke_definition(app_id: str, job_role: str, topic_arn: str) -> dict[str, Any]:
    return {
        "Comment": "Every ASL feature the pipeline uses, once",
        "StartAt": "Plan",
        "States": {
            "Plan": lambda_task(
                "smoke-plan",
                {"input.$": "$", "run_id.$": "$$.Execution.Name", "started.$": "$$.Execution.StartTime"},
                ResultSelector={"plan.$": "$.Payload"},
                ResultPath="$.planned",
                Retry=[
                    {
                        "ErrorEquals": ["FlakyError"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 2,
                        "BackoffRate": 1.0,
                    }
                ],
                Catch=[{"ErrorEquals": ["LockHeldError"], "ResultPath": "$.error", "Next": "Locked"}],
                Next="Inline",
            ),
            "Locked": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
            "Inline": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemSelector": {
                    "value.$": "$$.Map.Item.Value",
                    "index.$": "$$.Map.Item.Index",
                    "run_id.$": "$$.Execution.Name",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Double",
                    "States": {"Double": lambda_task("smoke-double", "$", OutputPath="$.Payload", End=True)},
                },
                "ResultPath": "$.inline",
                "Next": "Distributed",
            },
            "Distributed": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {
                        "Bucket.$": "$.planned.plan.manifest.bucket",
                        "Key.$": "$.planned.plan.manifest.key",
                    },
                },
                "ItemSelector": {"batch.$": "$$.Map.Item.Value", "run_id.$": "$$.Execution.Name"},
                "MaxConcurrency": 2,
                "ToleratedFailurePercentage": 50.0,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Ingest",
                    "States": {"Ingest": lambda_task("smoke-ingest", "$", OutputPath="$.Payload", End=True)},
                },
                "ResultPath": "$.distributed",
                "Next": "Transform",
            },
            "Transform": {
                "Type": "Task",
                "Resource": "arn:aws:states:::emr-serverless:startJobRun.sync",
                "Parameters": {
                    "ApplicationId": app_id,
                    "ExecutionRoleArn": job_role,
                    "Name.$": "States.Format('transform-{}', $$.Execution.Name)",
                    "ClientToken.$": "$$.Execution.Name",
                    "ExecutionTimeoutMinutes": 30,
                    "JobDriver": {
                        "SparkSubmit": {
                            "EntryPoint": "s3://smoke-lake/code/transform.py",
                            "EntryPointArguments.$": "States.Array('--run-id', $$.Execution.Name)",
                            "SparkSubmitParameters": "--conf spark.executor.cores=1",
                        }
                    },
                    "ConfigurationOverrides": {
                        "ApplicationConfiguration": [
                            {
                                "Classification": "spark-defaults",
                                "Properties": {"spark.sql.shuffle.partitions": "2"},
                            }
                        ]
                    },
                },
                "ResultPath": "$.transform",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify"}],
                "Next": "PutRun",
            },
            "PutRun": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {
                    "TableName": TABLE,
                    "Item": {"pk": {"S.$": "$$.Execution.Name"}, "status": {"S": "succeeded"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                },
                "ResultPath": None,
                "Next": "GetRun",
            },
            "GetRun": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": TABLE, "Key": {"pk": {"S.$": "$$.Execution.Name"}}},
                "ResultSelector": {"status.$": "$.Item.status.S"},
                "ResultPath": "$.record",
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {
                    "TopicArn": topic_arn,
                    "Subject": "smoke failed",
                    "Message.$": "States.Format('run {} failed: {}', $$.Execution.Name, $.error.Error)",
                },
                "ResultPath": "$.notified",
                "Next": "TransformFailed",
            },
            "TransformFailed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        },
    }


# --------------------------------------------------------------------------------------------------
# Fixtures and helpers


class EmrRecorder:
    """The local EMR runner stand-in: records each job and what get_job_run showed while it ran."""

    def __init__(self, aws: LocalAws) -> None:
        self.aws = aws
        self.jobs: list[dict[str, Any]] = []
        self.states_seen: list[str] = []
        self.fail_with: str | None = None
        self.sleep_seconds = 0.0

    def __call__(self, job: dict[str, Any]) -> None:
        self.jobs.append(job)
        run = self.aws.client("emr-serverless").get_job_run(
            applicationId=job["ApplicationId"], jobRunId=job["JobRunId"]
        )
        self.states_seen.append(run["jobRun"]["state"])
        time.sleep(self.sleep_seconds)
        if self.fail_with:
            raise RuntimeError(self.fail_with)


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    saved = dict(os.environ)
    with LocalAws() as local:
        os.environ.update(local.environment())
        try:
            yield local
        finally:
            os.environ.clear()
            os.environ.update(saved)


@pytest.fixture(scope="module")
def resources(aws: LocalAws) -> dict[str, str]:
    assert sys.modules[THIS].plan is plan  # the dotted paths below resolve to this very module
    aws.create_function("smoke-plan", f"{THIS}.plan", memory_mb=256)
    aws.create_function("smoke-double", f"{THIS}:double")
    aws.create_function("smoke-ingest", ingest)  # a callable works too
    aws.client("s3").create_bucket(Bucket=BUCKET)
    aws.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topic_arn = aws.client("sns").create_topic(Name=TOPIC)["TopicArn"]
    app_id = aws.create_emr_application()
    job_role = aws.role_arn("smoke-emr-job")
    definition = smoke_definition(app_id, job_role, topic_arn)
    machine = aws.client("stepfunctions").create_state_machine(
        name="smoke", definition=json.dumps(definition), roleArn=aws.role_arn("smoke-sfn")
    )
    return {"machine": machine["stateMachineArn"], "app_id": app_id, "job_role": job_role, "topic": topic_arn}


@pytest.fixture
def emr(aws: LocalAws) -> EmrRecorder:
    recorder = EmrRecorder(aws)
    aws.set_emr_runner(recorder)
    return recorder


def run(
    aws: LocalAws, machine: str, name: str | None, payload: dict[str, Any], timeout: float = 90
) -> dict[str, Any]:
    sfn = aws.client("stepfunctions")
    kwargs = {"name": name} if name else {}
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload), **kwargs)["executionArn"]
    return wait(aws, arn, timeout)


def wait(aws: LocalAws, arn: str, timeout: float = 90) -> dict[str, Any]:
    sfn = aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            pytest.fail(f"execution {arn} still RUNNING after {timeout}s")
        time.sleep(0.1)


def history(aws: LocalAws, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = aws.client("stepfunctions").get_execution_history(
        executionArn=arn, maxResults=1000
    )["events"]
    return events


def events_of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == kind]


def task_failures(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    failed = [event.get("taskFailedEventDetails") for event in events_of(events, "TaskFailed")]
    return [details for details in failed if details]


# --------------------------------------------------------------------------------------------------
# The patches are in place


def test_patches_apply_once_and_mark_their_targets(aws: LocalAws) -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.emrserverless.models import EMRServerlessBackend
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer import result_writer_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
        resource_eval_s3,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_lambda,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.component.state.fail import state_fail
    from moto.stepfunctions.parser.asl.utils import boto_client
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    moto_patches.apply()  # a second time changes nothing
    assert moto_patches.is_applied()
    targets: list[Callable[..., Any]] = [
        LambdaSimpleBackend.invoke,
        EMRServerlessBackend.start_job_run,
        state_task_factory.state_task_service_for,
        boto_client.boto_client_for,
        Execution.get_start_execution_details,
        StateTaskService._after_eval_execution,
        StepFunctionsParserBackend.start_execution,
        state_fail.CustomErrorName,
        distributed_iteration_component.DistributedIterationComponent._map_run,
        result_writer_decl.ResultWriter._eval_body,
        resource_eval_s3.ResourceEvalS3._handle_put_object,
    ]
    assert [getattr(target, "__wistia_patched__", False) for target in targets] == [True] * len(targets)
    # Modules that imported boto_client_for by name use the patched one too.
    assert state_task_service_lambda.lambda_eval_utils.boto_client_for is boto_client.boto_client_for


def test_another_moto_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_patches, "installed_moto_version", lambda: "5.2.6")
    with pytest.raises(moto_patches.MotoPatchError, match=r"moto==5\.2\.5 .* moto==5\.2\.6"):
        moto_patches.check_version()


def test_one_local_aws_per_process(aws: LocalAws) -> None:
    with pytest.raises(LocalAwsError, match="another LocalAws"):
        LocalAws().start()
    assert aws.endpoint_url.startswith("http://127.0.0.1:")


# --------------------------------------------------------------------------------------------------
# The smoke execution


def test_smoke_execution_succeeds_with_every_feature(
    aws: LocalAws, resources: dict[str, str], emr: EmrRecorder
) -> None:
    _gauge.most = 0
    described = run(aws, resources["machine"], "smoke-ok", {"items": [1, 2, 3, 4, 5]})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    events = history(aws, described["executionArn"])

    # Lambda: Payload with $$.Execution.Name, ResultSelector on $.Payload, the context object.
    planned = output["planned"]["plan"]
    assert planned["run_id"] == "smoke-ok"
    assert planned["context"] == [
        "smoke-plan",
        256,
        "arn:aws:lambda:us-east-1:123456789012:function:smoke-plan",
    ]
    # $$.Execution.StartTime is an ISO 8601 string (AWS's form: milliseconds, Z).
    started = planned["started"]
    assert isinstance(started, str) and started.endswith("Z")
    assert dt.datetime.fromisoformat(started) <= dt.datetime.now(dt.UTC)
    # Retry on a custom error: the first attempt failed with the exception's class name.
    assert [f["error"] for f in task_failures(events)][:1] == ["FlakyError"]

    # Inline Map: ItemSelector with $$.Map.Item.*, results in order, MaxConcurrency honoured.
    assert output["inline"] == [
        {"index": i, "doubled": v * 2, "run_id": "smoke-ok"} for i, v in enumerate([1, 2, 3, 4, 5])
    ]
    assert 1 <= _gauge.most <= 2

    # Distributed Map over the S3 manifest: one of three batches failed, within the 50.0% tolerated; its
    # result is null (child executions are map runs, not events of this history).
    assert output["distributed"] == [
        {"medias": 2, "run_id": "smoke-ok"},
        None,
        {"medias": 1, "run_id": "smoke-ok"},
    ]
    sfn = aws.client("stepfunctions")
    [map_run] = sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])["itemCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"]) == (3, 2, 1)

    # EMR Serverless .sync: the runner got the request (PascalCase), the run went SUBMITTED -> RUNNING
    # -> SUCCESS, and the task's result is StartJobRun's.
    [job] = emr.jobs
    assert job["Name"] == "transform-smoke-ok"
    assert job["ClientToken"] == "smoke-ok"
    assert job["ExecutionTimeoutMinutes"] == 30
    assert job["JobDriver"]["SparkSubmit"] == {
        "EntryPoint": "s3://smoke-lake/code/transform.py",
        "EntryPointArguments": ["--run-id", "smoke-ok"],
        "SparkSubmitParameters": "--conf spark.executor.cores=1",
    }
    assert job["ConfigurationOverrides"]["ApplicationConfiguration"] == [
        {"Classification": "spark-defaults", "Properties": {"spark.sql.shuffle.partitions": "2"}}
    ]
    assert emr.states_seen == ["RUNNING"]
    transform = output["transform"]
    assert set(transform) == {"ApplicationId", "Arn", "JobRunId"}
    run_state = aws.client("emr-serverless").get_job_run(
        applicationId=transform["ApplicationId"], jobRunId=transform["JobRunId"]
    )["jobRun"]
    assert run_state["state"] == "SUCCESS"
    assert run_state["arn"] == transform["Arn"]
    submitted = [
        e
        for e in events_of(events, "TaskSubmitted")
        if e["taskSubmittedEventDetails"]["resourceType"] == "emr-serverless"
    ]
    assert len(submitted) == 1

    # DynamoDB putItem (conditional) then getItem through ResultSelector.
    assert output["record"] == {"status": "succeeded"}


def test_failed_job_is_caught_notified_and_fails_with_its_cause(
    aws: LocalAws, resources: dict[str, str], emr: EmrRecorder
) -> None:
    emr.fail_with = "MERGE into dim_media failed: boom"
    described = run(aws, resources["machine"], "smoke-job-fails", {"items": [1]})
    events = history(aws, described["executionArn"])

    # The Fail state's ErrorPath/CausePath carry the caught error out of the execution.
    assert described["status"] == "FAILED"
    assert described["error"] == "States.TaskFailed"
    cause = json.loads(described["cause"])
    assert cause["state"] == "FAILED"
    assert cause["stateDetails"] == "RuntimeError: MERGE into dim_media failed: boom"
    [failure] = [f for f in task_failures(events) if f["resourceType"] == "emr-serverless"]
    assert failure["error"] == "States.TaskFailed"
    assert "MERGE into dim_media failed: boom" in failure["cause"]

    # The sns:publish task ran with the States.Format message.
    [published] = [
        e
        for e in events_of(events, "TaskSucceeded")
        if e["taskSucceededEventDetails"]["resourceType"] == "sns"
    ]
    assert "MessageId" in json.loads(published["taskSucceededEventDetails"]["output"])
    scheduled = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])
        for e in events_of(events, "TaskScheduled")
        if e["taskScheduledEventDetails"]["resourceType"] == "sns"
    ]
    assert scheduled[0]["Message"] == "run smoke-job-fails failed: States.TaskFailed"


def test_lambda_exception_is_caught_by_class_name(
    aws: LocalAws, resources: dict[str, str], emr: EmrRecorder
) -> None:
    described = run(aws, resources["machine"], "smoke-locked", {"locked": True})
    assert described["status"] == "FAILED"
    assert described["error"] == "LockHeldError"
    cause = json.loads(described["cause"])
    assert cause["errorType"] == "LockHeldError"
    assert cause["errorMessage"] == "the run lock is held by other-run (asked by smoke-locked)"
    assert any("raise LockHeldError" in line for line in cause["stackTrace"])
    assert emr.jobs == []


# --------------------------------------------------------------------------------------------------
# Executions, Map paths, EMR details


def test_unnamed_executions_get_unique_names(
    aws: LocalAws, resources: dict[str, str], emr: EmrRecorder
) -> None:
    # moto names an unnamed execution "None", so a second one collides; the patch gives each a UUID as
    # AWS does. Local mode names every execution anyway (the name is the run id).
    first = run(aws, resources["machine"], None, {"locked": True})
    second = run(aws, resources["machine"], None, {"locked": True})
    assert first["name"] != second["name"]
    assert [len(first["name"]), len(second["name"])] == [36, 36]
    assert [first["status"], second["status"]] == ["FAILED", "FAILED"]


def test_datetimes_in_task_results_become_iso_strings(aws: LocalAws, resources: dict[str, str]) -> None:
    # aws-sdk results carry datetimes (S3's LastModified); intrinsics and ResultWriter need JSON.
    aws.client("s3").put_object(Bucket=BUCKET, Key="dated/one.json", Body=b"[]")
    definition = {
        "StartAt": "List",
        "States": {
            "List": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                "Parameters": {"Bucket": BUCKET, "Prefix": "dated/"},
                "Next": "Show",
            },
            "Show": {
                "Type": "Pass",
                "Parameters": {
                    # not "$.Contents[0].LastModified": moto returns a list for a field under an index
                    "first.$": "$.Contents[0]",
                    "text.$": "States.JsonToString($.Contents[0])",
                },
                "End": True,
            },
        },
    }
    machine = aws.client("stepfunctions").create_state_machine(
        name="smoke-datetimes", definition=json.dumps(definition), roleArn=aws.role_arn("smoke-sfn")
    )["stateMachineArn"]
    described = run(aws, machine, "datetimes", {})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    assert output["first"]["LastModified"].endswith("Z")
    assert json.loads(output["text"])["Key"] == "dated/one.json"


TOLERANCE_CASES = {
    # name: (Map fields, outcome with 1 of 4 items failed, outcome with 2 of 3 failed)
    "paths": (
        {
            "MaxConcurrencyPath": "$.plan.max_concurrency",
            "ToleratedFailurePercentagePath": "$.plan.tolerated",
        },
        "SUCCEEDED",
        "FAILED",
    ),
    "literals": ({"MaxConcurrency": 2, "ToleratedFailurePercentage": 50.0}, "SUCCEEDED", "FAILED"),
    "count": ({"MaxConcurrency": 2, "ToleratedFailureCount": 1}, "SUCCEEDED", "FAILED"),
    "none": ({"MaxConcurrency": 2}, "FAILED", "FAILED"),
}


@pytest.mark.parametrize("case", sorted(TOLERANCE_CASES))
def test_distributed_map_concurrency_and_tolerance(
    aws: LocalAws, resources: dict[str, str], case: str
) -> None:
    # The Plan Lambda's output can size the Map (MaxConcurrencyPath, ToleratedFailurePercentagePath): one
    # source of truth for the concurrency. Past the tolerance the Map fails (patched: moto never fails it).
    fields, within_outcome, beyond_outcome = TOLERANCE_CASES[case]
    definition = {
        "StartAt": "Plan",
        "States": {
            "Plan": {
                "Type": "Pass",
                "Result": {"max_concurrency": 2, "tolerated": 50},
                "ResultPath": "$.plan",
                "Next": "Fan",
            },
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.batches",
                **fields,
                "ItemSelector": {"batch.$": "$$.Map.Item.Value", "run_id.$": "$$.Execution.Name"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Ingest",
                    "States": {"Ingest": lambda_task("smoke-ingest", "$", OutputPath="$.Payload", End=True)},
                },
                "End": True,
            },
        },
    }
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"smoke-map-{case}", definition=json.dumps(definition), roleArn=aws.role_arn("smoke-sfn")
    )["stateMachineArn"]

    _gauge.most = 0
    within = run(aws, machine, f"{case}-within", {"batches": [["a"], ["x"], ["b"], ["c"]]})
    beyond = run(aws, machine, f"{case}-beyond", {"batches": [["x"], ["x"], ["b"]]})
    assert [within["status"], beyond["status"]] == [within_outcome, beyond_outcome]
    assert beyond["error"] == "States.ExceedToleratedFailureThreshold"
    assert beyond["cause"] == moto_patches.TOLERANCE_EXCEEDED_CAUSE
    assert 1 <= _gauge.most <= 2

    [map_run] = sfn.list_map_runs(executionArn=within["executionArn"])["mapRuns"]
    described = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])
    assert described["maxConcurrency"] == 2
    assert described["status"] == ("SUCCEEDED" if within_outcome == "SUCCEEDED" else "FAILED")
    if case in {"paths", "literals"}:
        assert described["toleratedFailurePercentage"] == 50.0


def test_result_writer_puts_the_results_in_s3_and_the_map_result_is_a_pointer(
    aws: LocalAws, resources: dict[str, str]
) -> None:
    # Bucket.$ and Prefix.$ come from the state (as the pipeline's come from Plan). moto itself writes
    # only a manifest listing no files; patched, the results land as AWS lays them out.
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.batches",
                "MaxConcurrency": 2,
                "ToleratedFailurePercentage": 50.0,
                "ItemSelector": {"batch.$": "$$.Map.Item.Value", "run_id.$": "$$.Execution.Name"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Ingest",
                    "States": {"Ingest": lambda_task("smoke-ingest", "$", OutputPath="$.Payload", End=True)},
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket.$": "$.results.bucket", "Prefix.$": "$.results.prefix"},
                },
                "ResultPath": "$.written",
                "End": True,
            },
        },
    }
    sfn, s3 = aws.client("stepfunctions"), aws.client("s3")
    machine = sfn.create_state_machine(
        name="smoke-result-writer", definition=json.dumps(definition), roleArn=aws.role_arn("smoke-sfn")
    )["stateMachineArn"]
    results = {"bucket": BUCKET, "prefix": "runs/run=r1/map-results"}
    batches = [["a", "b"], ["x"], ["c"], ["d"]]
    described = run(aws, machine, "result-writer", {"batches": batches, "results": results})
    assert described["status"] == "SUCCEEDED", described.get("cause")

    # The state's result is the pointer to the manifest, not the children's outputs.
    written = json.loads(described["output"])["written"]
    [map_run] = sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"]
    map_run_id = map_run["mapRunArn"].split(":")[-1]
    folder = f"runs/run=r1/map-results/{map_run_id}/"
    assert written == {
        "MapRunArn": map_run["mapRunArn"],
        "ResultWriterDetails": {"Bucket": BUCKET, "Key": f"{folder}manifest.json"},
    }
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="runs/run=r1/map-results/")["Contents"]
    sizes = {item["Key"]: item["Size"] for item in listed}
    assert set(sizes) == {
        f"{folder}{name}" for name in ("manifest.json", "SUCCEEDED_0.json", "FAILED_0.json")
    }

    def read(key: str) -> Any:
        return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    manifest = read(f"{folder}manifest.json")
    assert manifest == {
        "DestinationBucket": BUCKET,
        "MapRunArn": map_run["mapRunArn"],
        "ResultFiles": {
            "SUCCEEDED": [{"Key": f"{folder}SUCCEEDED_0.json", "Size": sizes[f"{folder}SUCCEEDED_0.json"]}],
            "FAILED": [{"Key": f"{folder}FAILED_0.json", "Size": sizes[f"{folder}FAILED_0.json"]}],
            "PENDING": [],
        },
    }
    succeeded = read(f"{folder}SUCCEEDED_0.json")
    assert [record["Status"] for record in succeeded] == ["SUCCEEDED"] * 3
    assert [json.loads(record["Output"]) for record in succeeded] == [
        {"medias": len(batch), "run_id": "result-writer"} for batch in batches if batch != ["x"]
    ]
    assert read(f"{folder}FAILED_0.json") == [{"Status": "FAILED"}]


@pytest.mark.parametrize(
    ("failed", "total", "count", "percentage", "exceeded"),
    [
        (0, 3, 0, 0.0, False),
        (1, 3, 0, 0.0, True),  # nothing tolerated when no threshold is set
        (1, 2, 0, 50.0, False),  # 50% is not more than 50%
        (2, 3, 0, 50.0, True),
        (1, 3, 1, 0.0, False),
        (2, 3, 1, 0.0, True),
        (2, 10, 1, 50.0, True),  # either threshold set and exceeded fails the run
    ],
)
def test_tolerance_rule(failed: int, total: int, count: int, percentage: float, exceeded: bool) -> None:
    assert moto_patches.exceeds_tolerance(failed, total, count, percentage) is exceeded


@pytest.mark.parametrize(
    ("field", "value"),
    [("ToleratedFailurePercentage", 5), ("ItemBatcher", {"MaxItemsPerBatch": 2})],
)
def test_moto_refuses_these_map_fields(
    aws: LocalAws, resources: dict[str, str], field: str, value: Any
) -> None:
    # Known limits of moto 5.2.5's ASL parser (docs/local-aws.md): write 5.0, and batch in the manifest.
    # If this starts passing definitions, moto changed: update the docs and the pipeline may simplify.
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                field: value,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Done",
                    "States": {"Done": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    sfn = aws.client("stepfunctions")
    with pytest.raises(ClientError, match=f"ASLParserException.*{field}"):
        sfn.create_state_machine(
            name=f"smoke-refused-{field}",
            definition=json.dumps(definition),
            roleArn=aws.role_arn("smoke-sfn"),
        )


def test_job_runs_are_idempotent_on_client_token(
    aws: LocalAws, resources: dict[str, str], emr: EmrRecorder
) -> None:
    client = aws.client("emr-serverless")
    request = {
        "applicationId": resources["app_id"],
        "executionRoleArn": resources["job_role"],
        "clientToken": "token-1",
        "jobDriver": {"sparkSubmit": {"entryPoint": "s3://smoke-lake/code/transform.py"}},
    }
    first = client.start_job_run(**request)["jobRunId"]
    second = client.start_job_run(**request)["jobRunId"]
    assert first == second
    wait_for_job(aws, resources["app_id"], first, {"SUCCESS"})
    assert len(emr.jobs) == 1


def test_job_run_past_its_timeout_is_cancelled(
    aws: LocalAws, resources: dict[str, str], emr: EmrRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto_patches, "SECONDS_PER_TIMEOUT_MINUTE", 0.02)  # 5 "minutes" = 0.1 s
    emr.sleep_seconds = 1.0
    job = aws.client("emr-serverless").start_job_run(
        applicationId=resources["app_id"],
        executionRoleArn=resources["job_role"],
        executionTimeoutMinutes=5,
        jobDriver={"sparkSubmit": {"entryPoint": "s3://smoke-lake/code/transform.py"}},
    )
    run_state = wait_for_job(aws, resources["app_id"], job["jobRunId"], {"CANCELLED"})
    assert "execution timeout of 5 minutes" in run_state["stateDetails"]


def test_without_a_runner_a_job_fails_loudly(aws: LocalAws, resources: dict[str, str]) -> None:
    aws.set_emr_runner(None)
    job = aws.client("emr-serverless").start_job_run(
        applicationId=resources["app_id"],
        executionRoleArn=resources["job_role"],
        name="no-runner",
        jobDriver={"sparkSubmit": {"entryPoint": "s3://smoke-lake/code/transform.py"}},
    )
    run_state = wait_for_job(aws, resources["app_id"], job["jobRunId"], {"FAILED"})
    assert "set_emr_runner" in run_state["stateDetails"]


def wait_for_job(
    aws: LocalAws, app_id: str, job_run_id: str, states: set[str], timeout: float = 30
) -> dict[str, Any]:
    client = aws.client("emr-serverless")
    deadline = time.monotonic() + timeout
    while True:
        job_run: dict[str, Any] = client.get_job_run(applicationId=app_id, jobRunId=job_run_id)["jobRun"]
        if job_run["state"] in states:
            return job_run
        if time.monotonic() > deadline:
            pytest.fail(f"job run {job_run_id} is {job_run['state']}, not {states}, after {timeout}s")
        time.sleep(0.05)


def test_lambda_invoke_reports_function_errors_like_aws(aws: LocalAws, resources: dict[str, str]) -> None:
    response = aws.client("lambda").invoke(
        FunctionName="smoke-plan", Payload=json.dumps({"run_id": "r", "input": {"locked": True}})
    )
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "LockHeldError"
    assert payload["errorMessage"].startswith("the run lock is held")


def test_a_handler_that_exits_the_runtime_fails_with_runtime_exit_error(
    aws: LocalAws, resources: dict[str, str]
) -> None:
    response = aws.client("lambda").invoke(
        FunctionName="smoke-plan", Payload=json.dumps({"run_id": "r", "input": {"exit": True}})
    )
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Runtime exited with error: exit status 137")
    assert aws.client("lambda").list_functions()["Functions"], "the server survived the exit"
