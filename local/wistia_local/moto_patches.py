"""The patches that let moto 5.2.5 run our real state machine with our real code (docs/local-aws.md).

Every patch touches a moto internal, so moto is pinned exactly and `apply()` refuses any other version;
`tests/integration/local/test_moto_patches.py` runs each patched path and fails loudly when one stops
applying. What is patched (`moto.stepfunctions.parser` shortened to `sfn.`), and why:

1. Lambda without Docker (`awslambda_simple.models.LambdaSimpleBackend.invoke`): moto echoes the payload
   back. A function with a registered handler (`register_handler`) instead calls it in-process, and an
   exception becomes a function error (`FunctionError: Unhandled`, payload `{"errorType": <class name>,
   "errorMessage", "stackTrace"}`) as on AWS, so Retry and Catch see the exception's class name. A
   handler that exits the process (`SystemExit`, as when the runtime dies) fails with `Runtime.ExitError`.
2. `emr-serverless:startJobRun[.sync]` (`sfn.asl.component.state.exec.state_task.state_task_factory.
   state_task_service_for`): moto's interpreter forwards the call but cannot `.sync` it. A small service
   integration starts the run through moto's EMR Serverless API and, for `.sync`, polls it to its end.
3. EMR Serverless job runs (`emrserverless.models.EMRServerlessBackend.start_job_run`): moto marks every
   run SUCCESS at once. With a runner set (`set_emr_runner`), a run goes SUBMITTED -> RUNNING -> SUCCESS,
   FAILED (the runner raised) or CANCELLED (past `executionTimeoutMinutes`) on a thread, and a repeated
   `clientToken` returns the existing run, as on AWS.
4. The interpreter's AWS clients (`sfn.asl.utils.boto_client.boto_client_for`) go to
   `http://localhost:$MOTO_PORT`; they go to the server `LocalAws` started instead.
5. `$$.Execution.StartTime` (`sfn.backend.execution.Execution.get_start_execution_details`) is a datetime
   in moto; AWS gives an ISO 8601 string. Datetimes in task results (aws-sdk responses) become ISO strings
   too (`sfn.asl.component.state.exec.state_task.service.state_task_service.StateTaskService.
   _after_eval_execution`), so ResultWriter and intrinsics can serialise them.
6. `StartExecution` without a name (`sfn.models.StepFunctionsParserBackend.start_execution`) gets a UUID
   name, as on AWS (moto names every such execution "None", so the second one collides).
7. A Fail state whose `Error`/`ErrorPath` is a `States.*` name (re-raising what a Catch caught, such as
   `States.TaskFailed`) fails with it (`sfn.asl.component.state.fail.state_fail.CustomErrorName`); moto
   refuses the name and ends the execution with States.Runtime instead.
8. A distributed Map fails with `States.ExceedToleratedFailureThreshold` when its failed items exceed
   `ToleratedFailureCount`/`ToleratedFailurePercentage` (or their `...Path`), and with none set tolerates
   no failure (`sfn.asl.component.state.exec.state_map.iteration.distributed_iteration_component.
   DistributedIterationComponent._map_run`); moto parses the thresholds but never applies them.
9. A distributed Map's `ResultWriter`: its `Parameters` paths (`"Prefix.$": "$.plan..."`) read the Map
   state's input, as on AWS (`sfn.asl.component.state.exec.state_map.result_writer.result_writer_decl.
   ResultWriter._eval_body`; moto reads them from the children's results, so any path fails), and it
   writes the children's results to S3 as AWS lays them out (`<Prefix>/<map run id>/SUCCEEDED_0.json`,
   `FAILED_0.json`, listed with their sizes in `manifest.json`; `sfn.asl.component.state.exec.state_map.
   result_writer.resource_eval.resource_eval_s3.ResourceEvalS3._handle_put_object`); moto writes only a
   manifest that lists no files.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Final

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

MOTO_VERSION: Final = "5.2.5"


class MotoPatchError(RuntimeError):
    """The installed moto is not the one these patches were written for, or a patch target moved."""


def installed_moto_version() -> str:
    return metadata.version("moto")


def _porting_message(detail: str) -> str:
    return (
        f"wistia_local.moto_patches is written for moto=={MOTO_VERSION} but moto=={installed_moto_version()} "
        f"is installed ({detail}): pin moto=={MOTO_VERSION} in requirements.txt and run 'make setup', or "
        "port the patches (docs/local-aws.md says how) and change MOTO_VERSION."
    )


try:  # moto internals: another moto version may have moved them, which must say so clearly
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core.models import botocore_stubber
    from moto.core.utils import utcnow
    from moto.emrserverless.models import EMRServerlessBackend
    from moto.stepfunctions.parser.api import (
        HistoryEventType,
        MapRunFailedEventDetails,
        TaskFailedEventDetails,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name import (
        custom_error_name,
        error_name,
        failure_event,
        states_error_name,
        states_error_name_type,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer import result_writer_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
        resource_eval_s3,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        resource,
        state_task_service,
        state_task_service_callback,
    )
    from moto.stepfunctions.parser.asl.component.state.fail import state_fail
    from moto.stepfunctions.parser.asl.eval import evaluation_details
    from moto.stepfunctions.parser.asl.eval.event import event_detail
    from moto.stepfunctions.parser.asl.utils import boto_client
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
except ImportError as exc:  # pragma: no cover - only with another moto
    raise MotoPatchError(_porting_message(f"cannot import {exc.name}")) from exc

# moto's event classes and TypedDicts, used as moto's own code uses them.
_EventDetails: Any = event_detail.EventDetails
_FailureEvent: Any = failure_event.FailureEvent
_FailureEventException: Any = failure_event.FailureEventException
_StatesErrorName: Any = states_error_name.StatesErrorName
_StatesErrorNameType: Any = states_error_name_type.StatesErrorNameType
_CustomErrorName: Any = custom_error_name.CustomErrorName
_ErrorName: Any = error_name.ErrorName
_ResourceCondition: Any = resource.ResourceCondition
_StateTaskServiceCallback: Any = state_task_service_callback.StateTaskServiceCallback

logger = logging.getLogger(__name__)

EmrRunner = Callable[[dict[str, Any]], None]
"""Runs one EMR Serverless job locally: gets the StartJobRun request (PascalCase, as in the ASL
`Parameters`, plus `JobRunId`), returns when the job succeeded, raises when it failed."""

# The .sync poll interval (moto's own for Glue) and the length of a minute of `executionTimeoutMinutes`
# (a test shortens it rather than waiting five minutes).
SYNC_POLL_SECONDS = 0.5
SECONDS_PER_TIMEOUT_MINUTE = 60.0

JOB_FAILED_ERROR: Final = "States.TaskFailed"
TOLERANCE_EXCEEDED_CAUSE: Final = "The specified tolerated failure threshold was exceeded"
_TERMINAL_JOB_STATES: Final = frozenset({"SUCCESS", "FAILED", "CANCELLED"})
_START_JOB_RUN_PARAMETERS: Final = frozenset(
    {
        "ApplicationId",
        "ClientToken",
        "ConfigurationOverrides",
        "ExecutionRoleArn",
        "ExecutionTimeoutMinutes",
        "JobDriver",
        "Name",
        "Tags",
    }
)


@dataclass
class _Registry:
    """What the patched code looks up at call time; one per process, like moto's backends."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    handlers: dict[str, str | Callable[..., Any]] = field(default_factory=dict)
    emr_runner: EmrRunner | None = None
    endpoint_url: str | None = None
    applied: bool = False


_registry = _Registry()
_handler_cache: dict[str, Callable[..., Any]] = {}


# --------------------------------------------------------------------------------------------------
# Registry (set by LocalAws)


def register_handler(function_name: str, handler: str | Callable[..., Any]) -> None:
    """Make moto's Lambda `function_name` run `handler`: "package.module.function" (or
    "package.module:function"), imported on its first call, or the callable itself."""
    if isinstance(handler, str):
        _split_handler(handler)
    with _registry.lock:
        _registry.handlers[function_name] = handler


def clear_handlers() -> None:
    with _registry.lock:
        _registry.handlers.clear()


def set_emr_runner(runner: EmrRunner | None) -> None:
    """Run EMR Serverless job runs with `runner`; None restores moto's instant SUCCESS."""
    _registry.emr_runner = runner


def set_endpoint(endpoint_url: str | None) -> None:
    """Point the Step Functions interpreter's AWS clients at this moto server (None: moto's default)."""
    _registry.endpoint_url = endpoint_url


# --------------------------------------------------------------------------------------------------
# apply()


def check_version() -> None:
    if installed_moto_version() != MOTO_VERSION:
        raise MotoPatchError(_porting_message("the version differs"))


def apply() -> None:
    """Apply every patch once per process (idempotent); raises MotoPatchError if moto is not 5.2.5."""
    check_version()
    with _registry.lock:
        if _registry.applied:
            return
        _replace(LambdaSimpleBackend, "invoke", _build_lambda_invoke)
        _patch_boto_client_endpoint()
        _replace(EMRServerlessBackend, "start_job_run", _build_start_job_run)
        _replace(state_task_factory, "state_task_service_for", _build_state_task_service_for)
        _replace(Execution, "get_start_execution_details", _build_get_start_execution_details)
        _replace(state_task_service.StateTaskService, "_after_eval_execution", _build_after_eval_execution)
        _replace(StepFunctionsParserBackend, "start_execution", _build_start_execution)
        _replace(state_fail, "CustomErrorName", _build_fail_error_name)
        _replace(distributed_iteration_component.DistributedIterationComponent, "_map_run", _build_map_run)
        _replace(result_writer_decl.ResultWriter, "_eval_body", _build_result_writer_eval_body)
        _replace(resource_eval_s3.ResourceEvalS3, "_handle_put_object", _build_result_writer_put_object)
        _registry.applied = True


def is_applied() -> bool:
    return _registry.applied


def _replace(owner: Any, name: str, build: Callable[[Any], Any]) -> None:
    """Replace `owner.name` with `build(original)`, failing clearly if moto moved it."""
    original = getattr(owner, name, None)
    if original is None:
        raise MotoPatchError(_porting_message(f"{getattr(owner, '__name__', owner)}.{name} is gone"))
    replacement = build(original)
    # A staticmethod is marked on its function, which is what `owner.name` returns.
    marked: Any = replacement.__func__ if isinstance(replacement, staticmethod) else replacement
    marked.__wistia_patched__ = True
    setattr(owner, name, replacement)


# --------------------------------------------------------------------------------------------------
# 1. Lambda: run registered handlers in-process


@dataclass(frozen=True)
class LocalLambdaContext:
    """The attributes of AWS's Python Lambda context that our code and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_monotonic: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline_monotonic - time.monotonic()) * 1000))


class _HandlerLoadError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _split_handler(handler: str) -> tuple[str, str]:
    module, sep, attribute = handler.partition(":") if ":" in handler else handler.rpartition(".")
    if not (module and sep and attribute):
        raise ValueError(f"handler {handler!r} is not 'package.module.function' or 'package.module:function'")
    return module, attribute


def _load_handler(handler: str | Callable[..., Any]) -> Callable[..., Any]:
    if not isinstance(handler, str):
        return handler
    cached = _handler_cache.get(handler)
    if cached is not None:
        return cached
    module_name, attribute = _split_handler(handler)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # AWS reports a failed import as a function error, and so do we
        raise _HandlerLoadError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    function: Any = getattr(module, attribute, None)
    if not callable(function):
        raise _HandlerLoadError(
            "Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_name}'"
        )
    _handler_cache[handler] = function
    return function  # type: ignore[no-any-return]


def _error_payload(error_type: str, message: str, request_id: str, exc: BaseException | None) -> bytes:
    # The handler's frames only, as AWS shows them (the first frame is the call in _run_handler).
    stack = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:]) if exc is not None else []
    body = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return json.dumps(body).encode("utf-8")


def _run_handler(fn: Any, handler: str | Callable[..., Any], event: Any) -> tuple[bytes, bool]:
    """Call the handler once; returns (payload, is_function_error). Never raises."""
    request_id = str(uuid.uuid4())
    context = LocalLambdaContext(
        function_name=fn.function_name,
        function_version="$LATEST",
        invoked_function_arn=fn.function_arn,
        memory_limit_in_mb=int(getattr(fn, "memory_size", None) or 128),
        aws_request_id=request_id,
        log_group_name=f"/aws/lambda/{fn.function_name}",
        log_stream_name=f"local/{request_id}",
        deadline_monotonic=time.monotonic() + float(getattr(fn, "timeout", None) or 3),
    )
    try:
        result = _load_handler(handler)(event, context)
    except _HandlerLoadError as exc:
        return _error_payload(exc.error_type, str(exc), request_id, None), True
    except Exception as exc:
        return _error_payload(type(exc).__name__, str(exc), request_id, exc), True
    except SystemExit as exc:  # the runtime died (exit, OOM kill): no error type of the code's own
        message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {exc.code}"
        return _error_payload("Runtime.ExitError", message, request_id, None), True
    try:
        return json.dumps(result).encode("utf-8"), False
    except (TypeError, ValueError) as exc:
        return _error_payload(
            "Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id, None
        ), True


def _decode_event(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.loads(body) if body else {}


def _build_lambda_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(self: Any, function_name: str, qualifier: str | None, *args: Any) -> Any:
        body, headers, response_headers = args
        fn = self.get_function(function_name, qualifier)
        handler = _registry.handlers.get(fn.function_name)
        if handler is None:
            return original(self, function_name, qualifier, *args)
        invocation_type = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type == "DryRun":
            return b""
        event = _decode_event(body)
        if invocation_type == "Event":
            threading.Thread(target=_run_handler, args=(fn, handler, event), daemon=True).start()
            return b""
        payload, failed = _run_handler(fn, handler, event)
        if failed:
            response_headers["x-amz-function-error"] = "Unhandled"
        return payload

    return invoke


# --------------------------------------------------------------------------------------------------
# 4. The interpreter's clients talk to our server


def _patch_boto_client_endpoint() -> None:
    original = boto_client.boto_client_for

    def build(original: Callable[..., Any]) -> Callable[..., Any]:
        def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            endpoint_url = _registry.endpoint_url
            if endpoint_url is None or botocore_stubber.enabled:
                return original(region=region, service=service, state_credentials=state_credentials)
            return boto3.client(
                service_name=service,
                region_name=region,
                endpoint_url=endpoint_url,
                aws_access_key_id="ak",
                aws_secret_access_key="sk",  # noqa: S106 - moto's dummy credentials
                config=Config(
                    parameter_validation=False,
                    retries={"max_attempts": 0, "total_max_attempts": 1},
                    connect_timeout=60,
                    read_timeout=99999999,  # a Lambda or a job may run long; moto uses the same
                ),
            )

        return boto_client_for

    _replace(boto_client, "boto_client_for", build)
    # Modules that imported the name before the patch hold the original: rebind it there too.
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.") and getattr(module, "boto_client_for", None) is original:
            setattr(module, "boto_client_for", boto_client.boto_client_for)  # noqa: B010


# --------------------------------------------------------------------------------------------------
# 3. EMR Serverless job runs run the registered runner


def _start_job_run_input_shape() -> Any:
    model = botocore.session.get_session().get_service_model("emr-serverless")
    return model.operation_model("StartJobRun").input_shape


def _pascal_case(value: Any, shape: Any) -> Any:
    """An API request (camelCase members) in the PascalCase Step Functions uses; map keys untouched."""
    if shape is not None and shape.type_name == "structure" and isinstance(value, dict):
        return {
            key[:1].upper() + key[1:]: _pascal_case(item, shape.members.get(key))
            for key, item in value.items()
        }
    if shape is not None and shape.type_name == "list" and isinstance(value, list):
        return [_pascal_case(item, shape.member) for item in value]
    return value


def _job_request(job_run: Any) -> dict[str, Any]:
    request = {
        "applicationId": job_run.application_id,
        "clientToken": job_run.client_token,
        "executionRoleArn": job_run.execution_role_arn,
        "name": job_run.name,
        "jobDriver": job_run.job_driver,
        "configurationOverrides": job_run.configuration_overrides,
        "tags": job_run.tags,
        "executionTimeoutMinutes": job_run.execution_timeout_minutes,
    }
    present = {key: value for key, value in request.items() if value is not None}
    result: dict[str, Any] = _pascal_case(present, _start_job_run_input_shape())
    result["JobRunId"] = job_run.id
    return result


def _set_job_state(job_run: Any, state: str, details: str | None = None) -> None:
    job_run.state = state
    job_run.state_details = details
    job_run.updated_at = utcnow()


def _run_job(job_run: Any, runner: EmrRunner, request: dict[str, Any]) -> None:
    started = time.monotonic()
    _set_job_state(job_run, "RUNNING")
    outcome: dict[str, BaseException] = {}

    def call_runner() -> None:
        try:
            runner(request)
        except BaseException as exc:  # the job's failure, reported on the run as EMR does
            outcome["error"] = exc

    worker = threading.Thread(target=call_runner, name=f"emr-job-{job_run.id}", daemon=True)
    worker.start()
    worker.join(timeout=float(job_run.execution_timeout_minutes) * SECONDS_PER_TIMEOUT_MINUTE)
    if worker.is_alive():  # the runner keeps going on its own: it cannot be killed from here
        minutes = job_run.execution_timeout_minutes
        _set_job_state(job_run, "CANCELLED", f"Job run exceeded its execution timeout of {minutes} minutes")
    elif "error" in outcome:
        error = outcome["error"]
        _set_job_state(job_run, "FAILED", f"{type(error).__name__}: {error}")
    else:
        _set_job_state(job_run, "SUCCESS")
    job_run.total_execution_duration_seconds = int(time.monotonic() - started)


def _build_start_job_run(original: Callable[..., Any]) -> Callable[..., Any]:
    def start_job_run(self: Any, application_id: str, client_token: str, **kwargs: Any) -> Any:
        if client_token:
            for existing in self.job_runs.get(application_id, []):
                if existing.client_token == client_token:
                    return existing  # StartJobRun is idempotent on clientToken
        job_run = original(self, application_id=application_id, client_token=client_token, **kwargs)
        runner = _registry.emr_runner
        if runner is not None:
            _set_job_state(job_run, "SUBMITTED")
            threading.Thread(
                target=_run_job,
                args=(job_run, runner, _job_request(job_run)),
                name=f"emr-run-{job_run.id}",
                daemon=True,
            ).start()
        return job_run

    return start_job_run


# --------------------------------------------------------------------------------------------------
# 2. The emr-serverless service integration


def _iso(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    return value.isoformat()


def _without_datetimes(value: Any) -> Any:
    if isinstance(value, dt.date):
        return _iso(value)
    if isinstance(value, Mapping):
        return {key: _without_datetimes(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_datetimes(item) for item in value]
    return value


def _task_failure(error: str, cause: str, task: Any, env: Any, name: Any) -> Any:
    return _FailureEventException(
        failure_event=_FailureEvent(
            env=env,
            error_name=name,
            event_type=HistoryEventType.TaskFailed,
            event_details=_EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error,
                    cause=cause,
                    resource=task._get_sfn_resource(),
                    resourceType=task._get_sfn_resource_type(),
                )
            ),
        )
    )


class StateTaskServiceEmrServerless(_StateTaskServiceCallback):  # type: ignore[misc]
    """`arn:aws:states:::emr-serverless:startJobRun[.sync]`; the job runs where the backend runs it."""

    def __init__(self) -> None:
        super().__init__(supported_integration_patterns={_ResourceCondition.Sync})

    def _get_supported_parameters(self) -> set[str] | None:
        return set(_START_JOB_RUN_PARAMETERS) if self.resource.api_action.lower() == "startjobrun" else None

    def _validate_service_integration_is_supported(self) -> None:
        super()._validate_service_integration_is_supported()
        if self.resource.condition not in (None, _ResourceCondition.Sync):
            raise ValueError(f"{self.resource.resource_arn}: emr-serverless startJobRun supports only .sync")

    @staticmethod
    def _client(resource_runtime_part: Any, state_credentials: Any) -> Any:
        return boto_client.boto_client_for(
            region=resource_runtime_part.region, service="emr-serverless", state_credentials=state_credentials
        )

    def _normalise_parameters(
        self,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        self._to_boto_request(parameters, _start_job_run_input_shape())  # PascalCase -> the API's camelCase

    def _eval_service_task(
        self,
        env: Any,
        resource_runtime_part: Any,
        normalised_parameters: dict[str, Any],
        state_credentials: Any,
    ) -> None:
        response = self._client(resource_runtime_part, state_credentials).start_job_run(
            **normalised_parameters
        )
        env.stack.append(
            {
                "ApplicationId": response["applicationId"],
                "Arn": response["arn"],
                "JobRunId": response["jobRunId"],
            }
        )

    def _eval_integration_pattern(
        self,
        env: Any,
        resource_runtime_part: Any,
        normalised_parameters: dict[str, Any],
        state_credentials: Any,
    ) -> None:
        started: dict[str, Any] = env.stack.pop()
        client = self._client(resource_runtime_part, state_credentials)
        job_run: dict[str, Any] = {}
        while env.is_running():
            job_run = client.get_job_run(applicationId=started["ApplicationId"], jobRunId=started["JobRunId"])
            job_run = job_run["jobRun"]
            if job_run["state"] in _TERMINAL_JOB_STATES:
                break
            time.sleep(SYNC_POLL_SECONDS)
        if job_run.get("state") == "SUCCESS" or not env.is_running():
            env.stack.append(started)  # on success the task's result is StartJobRun's
            return
        name = _StatesErrorName(typ=_StatesErrorNameType.StatesTaskFailed)
        raise _task_failure(JOB_FAILED_ERROR, json.dumps(_without_datetimes(job_run)), self, env, name)

    def _from_error(self, env: Any, ex: Exception) -> Any:
        if isinstance(ex, ClientError):
            error = f"EMRServerless.{ex.response['Error']['Code']}"
            cause = ex.response["Error"].get("Message") or str(ex)
            return _task_failure(error, cause, self, env, _CustomErrorName(error)).failure_event
        return super()._from_error(env=env, ex=ex)


def _build_state_task_service_for(original: Callable[..., Any]) -> Callable[..., Any]:
    def state_task_service_for(service_name: str) -> Any:
        if service_name == "emr-serverless":
            return StateTaskServiceEmrServerless()
        return original(service_name=service_name)

    return state_task_service_for


# --------------------------------------------------------------------------------------------------
# 5. Datetimes become ISO strings


def _build_get_start_execution_details(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_start_execution_details(self: Any) -> Any:
        details = original(self)
        if not isinstance(details.start_time, dt.datetime):
            return details
        return evaluation_details.ExecutionDetails(
            arn=details.arn,
            name=details.name,
            role_arn=details.role_arn,
            inpt=details.inpt,
            start_time=_iso(details.start_time),  # AWS's form: 2026-11-21T02:00:00.123Z
        )

    return get_start_execution_details


def _build_after_eval_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    def _after_eval_execution(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        if env.stack:
            env.stack[-1] = _without_datetimes(env.stack[-1])
        original(self, env, *args, **kwargs)

    return _after_eval_execution


# --------------------------------------------------------------------------------------------------
# 6. Unnamed executions get a UUID name


def _build_start_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    return start_execution


# --------------------------------------------------------------------------------------------------
# 7. A Fail state may re-raise a caught States.* error


def _build_fail_error_name(original: Callable[..., Any]) -> Callable[..., Any]:
    def fail_error_name(error_name: str | None) -> Any:
        # moto refuses "States." names for custom errors; `ErrorPath: "$.error.Error"` re-raises whatever
        # the Catch caught (States.TaskFailed, States.Timeout ...), which AWS accepts.
        if error_name is not None and error_name.startswith("States."):
            return _ErrorName(error_name=error_name)
        return original(error_name)

    return fail_error_name


# --------------------------------------------------------------------------------------------------
# 8. A distributed Map fails past its tolerated failures


def exceeds_tolerance(failed: int, total: int, count: int, percentage: float) -> bool:
    """AWS: the Map run fails when its failures exceed either threshold set; none set tolerates none.
    moto evaluates a threshold that is not set as 0, so 0 reads as "not set" when the other one is."""
    if failed == 0:
        return False
    if count == 0 and percentage == 0:
        return True
    over_count = count > 0 and failed > count
    over_percentage = percentage > 0 and failed * 100.0 / max(total, 1) > percentage
    return over_count or over_percentage


def _build_map_run(original: Callable[..., Any]) -> Callable[..., Any]:
    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        original(self, env, eval_input)  # failed items are counted and yield null
        record = eval_input.map_run_record
        items = record.item_counter
        failed = items.failed.get() + items.timed_out.get()
        count = int(record.tolerated_failure_count or 0)
        percentage = float(record.tolerated_failure_percentage or 0.0)
        if not exceeds_tolerance(failed, items.total.get(), count, percentage):
            return
        env.stack.pop()  # the items' results
        error_type = _StatesErrorNameType.StatesExceedToleratedFailureThreshold
        raise _FailureEventException(
            failure_event=_FailureEvent(
                env=env,
                error_name=_StatesErrorName(typ=error_type),
                event_type=HistoryEventType.MapRunFailed,
                event_details=_EventDetails(
                    mapRunFailedEventDetails=MapRunFailedEventDetails(
                        error=error_type.to_name(), cause=TOLERANCE_EXCEEDED_CAUSE
                    )
                ),
            )
        )

    return _map_run


# --------------------------------------------------------------------------------------------------
# 9. A distributed Map's ResultWriter: paths on the state input, the results written to S3


def result_writer_records(results: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """The children's results (in item order; moto leaves `None` for a child that failed, timed out or
    was aborted) as ResultWriter's files hold them, by status. AWS's records also name each child
    execution (`ExecutionArn`, `Name`, `Input`, dates, a failure's `Error` and `Cause`); moto runs no child
    executions and keeps no failure, so a record here has `Status` and a success's `Output` (a JSON
    string, as on AWS). A child whose output is JSON null is counted as failed."""
    records: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for output in results:
        if output is None:
            records["FAILED"].append({"Status": "FAILED"})
        else:
            records["SUCCEEDED"].append(
                {"Output": json.dumps(output), "OutputDetails": {"Included": True}, "Status": "SUCCEEDED"}
            )
    return records


def _build_result_writer_eval_body(original: Callable[..., Any]) -> Callable[..., Any]:
    def _eval_body(self: Any, env: Any) -> None:
        results = env.stack.pop()  # the Map run's results, which moto would evaluate the paths against
        env.stack.append(env.states.get_input())  # the Map state's input (the pipeline sets no InputPath)
        self.parargs.eval(env=env)
        parameters = env.stack.pop()
        env.stack.pop()
        env.stack.extend([results, parameters])  # what the resource's handler pops: parameters, results
        self.resource_eval.eval_resource(env=env)

    return _eval_body


def _build_result_writer_put_object(original: Callable[..., Any]) -> Any:
    def _handle_put_object(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
        parameters = env.stack.pop()  # the evaluated ResultWriter Parameters: Bucket, Prefix
        results = env.stack.pop()  # the Map run's results
        bucket, prefix = parameters["Bucket"], parameters.get("Prefix", "")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        map_run_arn = env.map_run_record_pool_manager.get_all()[-1].map_run_arn  # this Map's run (as moto)
        folder = f"{prefix}{map_run_arn.split(':')[-1]}/"
        s3 = boto_client.boto_client_for(
            region=resource_runtime_part.region, service="s3", state_credentials=state_credentials
        )
        files: dict[str, list[dict[str, Any]]] = {}
        for status, records in result_writer_records(list(results or [])).items():
            files[status] = []
            if records:  # AWS writes a status's file only when a child ended in it
                key = f"{folder}{status}_0.json"
                body = json.dumps(records).encode("utf-8")
                s3.put_object(Bucket=bucket, Key=key, Body=body)
                files[status].append({"Key": key, "Size": len(body)})
        manifest_key = f"{folder}manifest.json"
        manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files}
        s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode("utf-8"))
        # The Map state's result: a pointer to the manifest, whatever the number of children.
        env.stack.append(
            {"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}
        )

    return staticmethod(_handle_put_object)
