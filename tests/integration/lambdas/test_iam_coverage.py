"""Every AWS call a Lambda makes is allowed by its role in template.yaml.

moto does not enforce IAM, so a handler that gains a call (a delete, a DynamoDB read) would pass every
other test and fail with AccessDenied on AWS. Here the handlers run a night and a by-key night over the
demo account, each call is recorded per handler through botocore's `before-call` event, and the actions
are checked against the function's policy statements and the SAM policy templates it uses (actions,
not resources: those are reviewed with the template).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from support.lambda_context import FakeLambdaContext
from wistia_ingest import aws, runtime
from wistia_ingest.handlers import commit, ingest_events, ingest_media, ingest_visitors, plan
from wistia_local.template import load_template
from wistia_simulator import WistiaSimulator

pytestmark = pytest.mark.usefixtures("lambda_env")
CONTEXT = FakeLambdaContext()
FUNCTIONS = {
    plan: "PlanFunction",
    ingest_media: "IngestMediaFunction",
    ingest_events: "IngestEventsFunction",
    ingest_visitors: "IngestVisitorsFunction",
    commit: "CommitFunction",
}
# The SAM policy templates the template uses, as SAM expands them (their actions only).
POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy": {
        "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query",
        "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable",
        "dynamodb:ConditionCheckItem",
    },
    "AWSSecretsManagerGetSecretValuePolicy": {"secretsmanager:GetSecretValue"},
}  # fmt: skip
# API operations whose IAM action has another name.
ACTIONS = {"s3:ListObjectsV2": "s3:ListBucket", "s3:DeleteObjects": "s3:DeleteObject"}


def allowed_actions(function: str) -> set[str]:
    properties = load_template()["Resources"][function]["Properties"]
    allowed: set[str] = set()
    for policy in properties.get("Policies", []):
        for name, _ in policy.items():
            if name in POLICY_TEMPLATES:
                allowed |= POLICY_TEMPLATES[name]
            elif name == "Statement":
                for statement in policy["Statement"]:
                    assert statement["Effect"] == "Allow"
                    actions = statement["Action"]
                    allowed |= {actions} if isinstance(actions, str) else set(actions)
            else:
                pytest.fail(f"{function}: policy {name} is not known to this test; add its actions")
    return allowed


class Recorder:
    """Invokes handlers and records the IAM action of each AWS call under the handler's function."""

    def __init__(self) -> None:
        self.made: dict[str, set[str]] = defaultdict(set)
        self._current: list[str] = []

    def record(self, model: Any, **_: Any) -> None:
        action = f"{model.service_model.signing_name}:{model.name}"
        self.made[self._current[-1] if self._current else "fixture"].add(ACTIONS.get(action, action))

    def invoke(self, module: Any, event: dict[str, Any]) -> Any:
        self._current.append(FUNCTIONS[module])
        try:
            return module.handler(event, CONTEXT)
        finally:
            self._current.pop()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recording = Recorder()
    session = boto3.setup_default_session(region_name="us-east-1") or boto3.DEFAULT_SESSION
    session.events.register("before-call", recording.record)
    aws.client.cache_clear()  # the Lambdas' clients come from the session that records
    runtime.get_runtime.cache_clear()
    yield recording
    session.events.unregister("before-call", recording.record)


def night(invoke: Callable[[Any, dict[str, Any]], Any], run_id: str) -> None:
    planned = invoke(plan, {"input": {}, "run_id": run_id})
    run = planned["run"]
    for batch in runtime.get_runtime().bronze.get_json(planned["media_batches"]["key"]):
        invoke(ingest_media, {"run": run, "batch": batch})
    for day in planned["days"]:
        invoke(ingest_events, {"run": run, "day": day})
    invoke(ingest_visitors, {"run": run})
    invoke(commit, {"outcome": "succeeded", "run": run})


def test_every_call_of_every_lambda_is_allowed_by_its_role(
    sim: WistiaSimulator, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    night(recorder.invoke, "night-1")  # first night: full listing, visitor snapshot
    sim.advance_days(1)
    monkeypatch.setenv("PIPELINE_CLOCK_DATE", sim.now.date().isoformat())
    runtime.get_runtime.cache_clear()
    night(
        recorder.invoke, "night-2"
    )  # engagement read back from bronze, visitors by key or priced by the last snapshot
    recorder.invoke(
        commit, {"outcome": "failed", "run_id": "night-2", "error": {"Error": "States.TaskFailed"}}
    )

    made = recorder.made
    assert set(made) >= set(FUNCTIONS.values()), made
    denied = {fn: sorted(made[fn] - allowed_actions(fn)) for fn in FUNCTIONS.values()}
    assert denied == {fn: [] for fn in FUNCTIONS.values()}
    assert "dynamodb:UpdateItem" in made["IngestVisitorsFunction"]  # the lease renewal is among them
