"""The deployment definition holds together: the ASL, its substitutions, the template and the code.

Neither cfn-lint nor SAM looks inside the state machine definition, so the ASL is checked on its own
(valid JSON, JSONPath only, `asl-validator` for transitions and reachability) and against the template
(every placeholder substituted, every substitution used, every function ARN pointing at a function).
The template is checked against the code (every handler imports, every Lambda setting is set) and
linted with cfn-lint, and the bundle's build (functions/Makefile) against the functions it builds; its
deletion policies against what CloudFormation does when a first create fails or the stack is deleted.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wistia_ingest.run_context import RunContext, Window
from wistia_ingest.settings import _VARIABLES
from wistia_local.template import Physical, TemplateResolver, load_template

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachine" / "pipeline.asl.json"
TEMPLATE_PATH = ROOT / "template.yaml"
SAMCONFIG_PATH = ROOT / "samconfig.toml"
BUNDLE_MAKEFILE = ROOT / "functions" / "Makefile"
ASL_VALIDATOR = ROOT / "node_modules" / ".bin" / "asl-validator"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")

PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
LAMBDA_RETRY_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
# Set in the template although wistia_ingest.settings does not read them (Powertools reads them).
EXTRA_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL"}
# Settings the template may leave unset (their defaults apply); none today, every setting is explicit.
OPTIONAL_VARIABLES: set[str] = set()
# States of the failure path: they must not catch into themselves.
FAILURE_PATH = {"RecordFailure", "NotifyFailure"}
# What a distributed Map's ResultWriter needs on its prefix (AWS: IAM policies for ResultWriter).
RESULT_WRITER_ACTIONS = (
    "s3:PutObject",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:AbortMultipartUpload",
)
# The resources holding data a stack deletion must not take: the lake, the state, the PII key.
DATA_RESOURCES = {"LakeBucket", "StateTable", "PiiKeySecret"}
# Where a resource type's physical name is set; without it CloudFormation generates a unique one.
NAME_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::DynamoDB::Table": ("TableName",),
    "AWS::SecretsManager::Secret": ("Name",),
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::Serverless::Function": ("FunctionName",),
    "AWS::Serverless::StateMachine": ("Name",),
    "AWS::EMRServerless::Application": ("Name",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::Scheduler::Schedule": ("Name",),
    "AWS::Glue::Database": ("DatabaseInput", "Name"),
    "AWS::Athena::WorkGroup": ("Name",),
    "AWS::KMS::Alias": ("AliasName",),
    "AWS::SNS::Topic": ("TopicName",),
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    document: dict[str, Any] = load_template(TEMPLATE_PATH)
    return document


@pytest.fixture(scope="module")
def asl_text() -> str:
    return ASL_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def asl(asl_text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(asl_text)
    return document


def _resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def _state_machine(template: dict[str, Any]) -> dict[str, Any]:
    machines = _resources_of_type(template, "AWS::Serverless::StateMachine")
    assert list(machines) == ["WistiaPipeline"]
    properties: dict[str, Any] = machines["WistiaPipeline"]["Properties"]
    return properties


def _substitutions(template: dict[str, Any]) -> dict[str, Any]:
    substitutions: dict[str, Any] = _state_machine(template)["DefinitionSubstitutions"]
    return substitutions


def _all_states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, including those inside Map item processors and Parallel branches."""
    for name, state in states.items():
        yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _all_states(processor["States"])
        for branch in state.get("Branches", []):
            yield from _all_states(branch["States"])


def _distributed_maps(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: state
        for name, state in _all_states(asl["States"])
        if state["Type"] == "Map"
        and (state.get("ItemProcessor") or {}).get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED"
    }


def _json_path(document: Any, path: str) -> Any:
    """A plain `$.a.b` reference path (all the ASL's ResultWriter uses) in `document`."""
    assert re.fullmatch(r"\$(\.\w+)+", path), path
    for key in path.split(".")[1:]:
        document = document[key]
    return document


def _allows(statements: list[dict[str, Any]], action: str, arn: str) -> bool:
    """Whether an unconditional Allow statement grants `action` on `arn` (IAM wildcards: `*`, `?`)."""
    for statement in statements:
        if statement["Effect"] != "Allow" or "Condition" in statement:
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        if any(fnmatch.fnmatchcase(action.lower(), granted.lower()) for granted in actions) and any(
            fnmatch.fnmatchcase(arn, resource) for resource in resources
        ):
            return True
    return False


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _dummy_value(name: str) -> str:
    """A plausible value for a placeholder, so asl-validator's ARN checks see real shapes."""
    if name.endswith("FunctionArn"):
        return f"arn:aws:lambda:us-east-1:123456789012:function:{name.removesuffix('Arn')}"
    if name.endswith("TopicArn"):
        return "arn:aws:sns:us-east-1:123456789012:alerts"
    if name.endswith("RoleArn"):
        return "arn:aws:iam::123456789012:role/emr-job"
    if name == "TransformTimeoutMinutes":
        return "120"
    return f"dummy-{name}"


# -- the ASL on its own --------------------------------------------------------------------------------


def test_asl_is_json_and_jsonpath_only(asl_text: str, asl: dict[str, Any]) -> None:
    assert asl["StartAt"] == "Plan"
    assert "QueryLanguage" not in asl_text  # JSONata (or an explicit JSONPath) would be declared here
    assert "{%" not in asl_text  # JSONata expressions
    jsonata_fields = {"Arguments", "Output", "Assign", "Condition", "Items"}
    used = {key for key, _ in _walk(asl)} & jsonata_fields
    assert used == set(), f"JSONata-only fields in the ASL: {sorted(used)}"


def test_asl_passes_asl_validator(asl_text: str, tmp_path: Path) -> None:
    if not ASL_VALIDATOR.exists():
        pytest.skip("node_modules/.bin/asl-validator is missing: run `make setup` (npm ci installs it)")
    definition = PLACEHOLDER.sub(lambda match: _dummy_value(match.group(1)), asl_text)
    path = tmp_path / "pipeline.asl.json"
    path.write_text(definition, encoding="utf-8")
    done = subprocess.run(  # noqa: S603 (our own pinned tool, a file we wrote)
        [str(ASL_VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_task_and_map_catches_into_the_failure_path(asl: dict[str, Any]) -> None:
    states = asl["States"]
    for name, state in states.items():
        if state["Type"] not in ("Task", "Map") or name in FAILURE_PATH:
            continue
        assert state.get("Catch") == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}
        ], name
    # The recorder's own failure still notifies, and notification failures still end in Fail.
    assert states["RecordFailure"]["Catch"][0]["Next"] == "NotifyFailure"
    assert states["RecordFailure"]["Catch"][0]["ResultPath"] != "$.error"  # keep the original cause
    assert states["RecordFailure"]["Next"] == "NotifyFailure"
    assert states["NotifyFailure"]["Next"] == "Failed"
    assert states["Failed"] == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}


def test_every_lambda_task_retries_lambda_service_errors_and_only_ingestion_retries_crashes(
    asl: dict[str, Any],
) -> None:
    lambda_tasks = [
        (name, state)
        for name, state in _all_states(asl["States"])
        if state["Type"] == "Task" and state["Resource"] == LAMBDA_INVOKE
    ]
    assert len(lambda_tasks) == 6  # plan, media batch, events day, visitors, commit, record failure
    for name, state in lambda_tasks:
        service, *crash = state["Retry"]
        assert set(service["ErrorEquals"]) == LAMBDA_RETRY_ERRORS, name
        assert (service["IntervalSeconds"], service["BackoffRate"], service["MaxAttempts"]) == (2, 2, 6), name
        assert service["JitterStrategy"] == "FULL", name
        # A crashed invocation is retried once, only where the unit is idempotent (its part is written last).
        if name in {"IngestMediaBatch", "IngestEventsDay", "IngestVisitors"}:
            [retry] = crash
            assert set(retry["ErrorEquals"]) == {"Lambda.Unknown", "Runtime.ExitError", "Sandbox.Timedout"}
            assert retry["MaxAttempts"] == 1, name
        else:
            assert crash == [], name


def test_transform_never_retries_the_job_itself(asl: dict[str, Any]) -> None:
    transform = asl["States"]["Transform"]
    assert transform["Resource"] == "arn:aws:states:::emr-serverless:startJobRun.sync"
    retried = {error for retry in transform["Retry"] for error in retry["ErrorEquals"]}
    assert retried and all(
        error.endswith((".ThrottlingException", ".InternalServerException")) for error in retried
    )
    parameters = transform["Parameters"]
    assert parameters["Name.$"] == "$$.Execution.Name"
    assert "$$.Execution.Name" in parameters["ClientToken.$"]  # idempotent per execution
    assert parameters["ExecutionTimeoutMinutes.$"] == "States.StringToJson('${TransformTimeoutMinutes}')"
    arguments = parameters["JobDriver"]["SparkSubmit"]["EntryPointArguments.$"]
    for flag in ("'--manifest', $.plan.manifest_uri", "'--lake', $.plan.lake_uri", "'--run-id'"):
        assert flag in arguments


def test_map_settings_come_from_the_plan(asl: dict[str, Any], template: dict[str, Any]) -> None:
    media, events = asl["States"]["IngestMedia"], asl["States"]["IngestEvents"]
    assert media["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert media["MaxConcurrencyPath"] == events["MaxConcurrencyPath"] == "$.plan.map.max_concurrency"
    assert media["ToleratedFailurePercentagePath"] == "$.plan.map.tolerated_failure_percentage"
    assert "ToleratedFailurePercentage" not in events and "ToleratedFailurePercentagePath" not in events
    assert media["ResultPath"] is None and events["ResultPath"] is None  # results live in S3 parts
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["MAP_MAX_CONCURRENCY"] == {"Ref": "MapMaxConcurrency"}
    assert variables["TOLERATED_FAILURE_PERCENTAGE"] == {"Ref": "ToleratedFailurePercentage"}


def test_every_distributed_map_writes_its_results_to_s3(asl: dict[str, Any]) -> None:
    """Without a ResultWriter, every child execution's output is collected into the Map's result before
    ResultPath applies: thousands of batches pass the 256 KiB payload limit, and States.DataLimitExceeded
    is not caught by States.ALL (no RecordFailure, the run lock stays)."""
    distributed = _distributed_maps(asl)
    assert "IngestMedia" in distributed
    for name, state in distributed.items():
        writer = state.get("ResultWriter")
        assert writer is not None, f"{name}: a DISTRIBUTED Map needs a ResultWriter"
        assert writer["Resource"] == "arn:aws:states:::s3:putObject", name
        assert set(writer["Parameters"]) == {"Bucket.$", "Prefix.$"}, name  # where Plan says, per run


# -- the ASL against the template ----------------------------------------------------------------------


def test_every_placeholder_is_substituted_and_every_substitution_used(
    asl_text: str, template: dict[str, Any]
) -> None:
    placeholders = set(PLACEHOLDER.findall(asl_text))
    assert placeholders == set(_substitutions(template))


def test_asl_names_no_resource_literally(asl: dict[str, Any]) -> None:
    literal = [
        (key, value)
        for key, value in _walk(asl)
        if key in ("FunctionName", "TopicArn", "ApplicationId", "ExecutionRoleArn", "EntryPoint")
        and not PLACEHOLDER.fullmatch(str(value))
    ]
    assert literal == []


def test_function_arn_substitutions_point_at_functions(template: dict[str, Any]) -> None:
    functions = _resources_of_type(template, "AWS::Serverless::Function")
    referenced = set()
    for name, value in _substitutions(template).items():
        if not name.endswith("FunctionArn"):
            continue
        assert isinstance(value, dict) and list(value) == ["Fn::GetAtt"], name
        logical, attribute = value["Fn::GetAtt"]
        assert attribute == "Arn" and logical in functions, name
        referenced.add(logical)
    assert referenced == set(functions)  # no function the state machine cannot call


def test_the_state_machine_may_write_the_map_results_where_plan_points(
    asl: dict[str, Any], template: dict[str, Any]
) -> None:
    # The template's names resolved as if deployed: the lake bucket, and the default bronze prefix.
    physical = {
        name: Physical(ref=name, attributes={"Arn": f"arn:aws:test:::{name}", "ApplicationId": name})
        for name in template["Resources"]
    }
    physical["LakeBucket"] = Physical(ref="lake", attributes={"Arn": "arn:aws:s3:::lake"})
    resolver = TemplateResolver(template, physical, region="us-east-1", parameters={"AWS::Partition": "aws"})
    bronze_prefix = resolver.parameters["BronzePrefix"]
    statements = [
        resolver.resolve(statement)
        for policy in _state_machine(template)["Policies"]
        if "Statement" in policy
        for statement in policy["Statement"]
    ]
    # Plan's pointer (planning.py: map_results), for a run of the deployed settings.
    run = RunContext(
        run_id="exec-1",
        run_key="nightly-2026-11-20",
        mode="nightly",
        run_date=dt.date(2026, 11, 20),
        window=Window(start=dt.date(2026, 11, 19), end=dt.date(2026, 11, 19)),
        bucket="lake",
        bronze_prefix=bronze_prefix,
    )
    state = {"plan": {"map_results": {"bucket": run.bucket, "prefix": run.map_results_prefix}}}
    lifecycle = resolver.resolve(template["Resources"]["LakeBucket"]["Properties"]["LifecycleConfiguration"])
    [expire_bronze] = [rule for rule in lifecycle["Rules"] if rule["Id"] == "ExpireBronze"]
    for name, map_state in _distributed_maps(asl).items():
        assert "ResultWriter" in map_state, f"{name}: no ResultWriter"
        parameters = map_state["ResultWriter"]["Parameters"]
        bucket, prefix = _json_path(state, parameters["Bucket.$"]), _json_path(state, parameters["Prefix.$"])
        assert (bucket, prefix) == ("lake", f"{run.run_prefix}/map-results"), name
        # What the writer puts there: <prefix>/<map run id>/manifest.json, SUCCEEDED_0.json, FAILED_0.json.
        for file in ("manifest.json", "SUCCEEDED_0.json", "FAILED_0.json"):
            key = f"{prefix}/0c8a7f0e-5d1b-4c7e-9a51-2f8f4e1d9b6a/{file}"
            for action in RESULT_WRITER_ACTIONS:
                assert _allows(statements, action, f"arn:aws:s3:::{bucket}/{key}"), f"{name}: {action}, {key}"
            assert key.startswith(expire_bronze["Prefix"]), "map results expire with bronze"
        # Least privilege: nothing outside the run metadata of bronze, nor another bucket.
        for elsewhere in (f"arn:aws:s3:::lake/gold/{prefix}/x.json", f"arn:aws:s3:::other/{prefix}/x.json"):
            assert not _allows(statements, "s3:PutObject", elsewhere), elsewhere
        assert not _allows(statements, "s3:PutObject", f"arn:aws:s3:::lake/{run.parts_prefix}x.json")


def test_state_machine_definition_and_type(template: dict[str, Any]) -> None:
    machine = _state_machine(template)
    assert machine["Type"] == "STANDARD"
    assert (ROOT / machine["DefinitionUri"]).resolve() == ASL_PATH
    assert machine["Logging"]["Level"] == "ALL"
    assert machine["Logging"]["IncludeExecutionData"] is False


# -- the template against the code ---------------------------------------------------------------------


def test_every_handler_imports(template: dict[str, Any]) -> None:
    functions = _resources_of_type(template, "AWS::Serverless::Function")
    assert len(functions) == 5
    code_uri = template["Globals"]["Function"]["CodeUri"]
    assert (ROOT / code_uri).resolve() == (ROOT / "functions").resolve()
    for logical, resource in functions.items():
        handler = resource["Properties"]["Handler"]
        module_name, _, attribute = handler.rpartition(".")
        assert (ROOT / code_uri / (module_name.replace(".", "/") + ".py")).is_file(), logical
        module = importlib.import_module(module_name)
        assert callable(getattr(module, attribute, None)), f"{logical}: {handler} is not callable"


def test_every_function_of_the_bundle_is_built_by_the_makefile_with_bytecode(
    template: dict[str, Any], tmp_path: Path
) -> None:
    """`sam build` runs `make --makefile functions/Makefile build-<LogicalId>` from a scratch copy of
    functions/; a dry run the same way shows each target's commands as make expands them."""
    make = shutil.which("make")
    assert make, "make is not installed (sam build needs it for functions/Makefile)"
    defaults = template["Globals"]["Function"]
    assert defaults["Runtime"] == "python3.11" and defaults["Architectures"] == ["arm64"]
    functions = _resources_of_type(template, "AWS::Serverless::Function")
    bundled = {
        n for n, r in functions.items() if r["Properties"].get("CodeUri", defaults["CodeUri"]) == "functions/"
    }
    assert bundled == set(functions)
    # No variable of an enclosing `make test PYTHON=...` run may leak into the dry run.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHON", "WHEEL_PLATFORM"}
    }
    env["ARTIFACTS_DIR"] = str(tmp_path / "artifacts")

    def run_make(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (make with our own Makefile)
            [make, "--makefile", str(BUNDLE_MAKEFILE), *arguments],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            cwd=tmp_path,
            env=env,
        )

    for logical in sorted(bundled):
        assert functions[logical]["Metadata"]["BuildMethod"] == "makefile", logical
        done = run_make("--dry-run", f"build-{logical}")
        assert done.returncode == 0, f"{logical}: {done.stderr}"
        commands = done.stdout
        assert f'-c "{ROOT / "constraints.txt"}"' in commands, logical  # the pins, from the scratch copy too
        assert "--platform manylinux2014_aarch64 --implementation cp --python-version 3.11" in commands
        assert "--no-compile" in commands  # else compileall would keep pip's timestamp-checked .pyc
        assert re.search(
            r"^python3\.11 -m compileall .*--invalidation-mode unchecked-hash .*\"?"
            + re.escape(env["ARTIFACTS_DIR"]),
            commands,
            re.MULTILINE,
        ), f"{logical}: {commands}"
    # Without Python 3.11 the build stops before installing anything, rather than compile for another version.
    done = run_make("build-PlanFunction", f"PYTHON={tmp_path / 'python3.11'}")  # no such interpreter
    assert done.returncode != 0 and "needs Python 3.11" in done.stderr, done.stdout + done.stderr


def test_every_lambda_setting_is_set(template: dict[str, Any]) -> None:
    variables = set(template["Globals"]["Function"]["Environment"]["Variables"])
    assert set(_VARIABLES) - variables - OPTIONAL_VARIABLES == set()
    assert variables - set(_VARIABLES) - EXTRA_VARIABLES == set(), "a variable the code does not read"


def test_samconfig_environments(template: dict[str, Any]) -> None:
    config = tomllib.loads(SAMCONFIG_PATH.read_text(encoding="utf-8"))
    assert {"default", "prod"} <= set(config)
    parameters = set(template["Parameters"])
    for environment in ("default", "prod"):
        deploy = config[environment]["deploy"]["parameters"]
        assert deploy["stack_name"]
        assert deploy["resolve_s3"] is True
        assert "CAPABILITY_IAM" in str(deploy["capabilities"])
        overrides = re.findall(r"(\w+)=", deploy["parameter_overrides"])
        assert set(overrides) <= parameters, set(overrides) - parameters
    assert not re.search(r"\b\d{12}\b", SAMCONFIG_PATH.read_text(encoding="utf-8")), "no account ids"


def test_cfn_lint_passes() -> None:
    assert CFN_LINT.exists(), "cfn-lint is not installed in this environment: run `make setup`"
    done = subprocess.run(  # noqa: S603 (our own pinned tool on our own template)
        [str(CFN_LINT), str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alarm_notifies_and_each_way_an_execution_ends_badly_has_one(template: dict[str, Any]) -> None:
    alarms = _resources_of_type(template, "AWS::CloudWatch::Alarm")
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertTopic"}], name
    watched = {a["Properties"].get("MetricName") for a in alarms.values() if a["Properties"].get("Namespace")}
    assert {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ExecutionsSucceeded"} <= watched
    stale = alarms["NoSuccessfulRunAlarm"]
    # Only where the schedule runs: dev (schedule disabled) would otherwise alarm every day.
    assert stale["Condition"] == "IsScheduled"
    assert template["Conditions"]["IsScheduled"] == {"Fn::Equals": [{"Ref": "ScheduleState"}, "ENABLED"]}
    assert stale["Properties"]["TreatMissingData"] == "breaching"


# -- the stack's lifecycle -----------------------------------------------------------------------------


def _fixed_name(resource: dict[str, Any]) -> Any:
    """The physical name the template gives the resource, or None when CloudFormation generates one."""
    value: Any = resource.get("Properties", {})
    for key in NAME_PROPERTIES.get(resource["Type"], ("<no name property>",)):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _deletion_policy(resource: dict[str, Any]) -> str:
    policy = resource.get("DeletionPolicy", "Delete")
    assert policy in {"Delete", "Retain", "RetainExceptOnCreate", "Snapshot"}, policy  # no intrinsics here
    return str(policy)


def _kept_when_a_first_create_rolls_back(resource: dict[str, Any]) -> bool:
    """CloudFormation (DeletionPolicy attribute): when a stack's creation fails, the rollback deletes every
    resource it created, except those with `Retain`, which stay, owned by no stack. `RetainExceptOnCreate`
    and `Delete` resources are deleted (`Snapshot` ones after a snapshot)."""
    return _deletion_policy(resource) == "Retain"


def _kept_when_the_stack_is_deleted(resource: dict[str, Any]) -> bool:
    return _deletion_policy(resource) in {"Retain", "RetainExceptOnCreate"}


def test_a_failed_first_create_leaves_nothing_behind(template: dict[str, Any]) -> None:
    resources: dict[str, dict[str, Any]] = template["Resources"]
    named = {name for name, resource in resources.items() if _fixed_name(resource) is not None}
    assert {"PiiKeySecret", "WistiaTokenSecret", "NightlySchedule", "PipelineLogGroup"} <= named  # modelled
    kept = sorted(
        name for name, resource in resources.items() if _kept_when_a_first_create_rolls_back(resource)
    )
    # A resource kept under its fixed name makes every retry of the create fail ("already exists") ...
    assert [name for name in kept if name in named] == [], "use DeletionPolicy: RetainExceptOnCreate"
    # ... and one with a generated name is an orphan that no stack owns or cleans up.
    assert kept == [], "use DeletionPolicy: RetainExceptOnCreate"


def test_the_data_outlives_the_stack_and_a_replacement(template: dict[str, Any]) -> None:
    for name in sorted(DATA_RESOURCES):
        resource = template["Resources"][name]
        assert _kept_when_the_stack_is_deleted(resource), name
        # UpdateReplacePolicy has no RetainExceptOnCreate: the replaced resource is simply kept.
        assert resource.get("UpdateReplacePolicy") == "Retain", name
