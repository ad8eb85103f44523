"""AWS on 127.0.0.1: a moto server in this process that runs our state machine, Lambdas and Spark job.

`LocalAws` starts moto's threaded server on a free port, turns on its Step Functions interpreter, and
applies `moto_patches` so that a Lambda function runs a registered Python handler in-process and the
Transform's `emr-serverless:startJobRun.sync` runs a registered callable (the local EMR runner).
Everything shares this process: moto's state is global, so one `LocalAws` runs at a time, and the
handlers read the Lambda environment from `os.environ` (set it before starting executions). See
docs/local-aws.md for what is emulated and what is not.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import urllib.request
import zipfile
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Final

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from wistia_local import moto_patches
from wistia_local.moto_patches import EmrRunner

logger = logging.getLogger(__name__)

HOST: Final = "127.0.0.1"
ACCOUNT_ID: Final = "123456789012"  # moto's default account, which any dummy key maps to
DUMMY_KEY_ID: Final = "testing"
DUMMY_SECRET: Final = "testing"  # noqa: S105 - moto accepts any credentials
LAMBDA_ROLE_NAME: Final = "wistia-local-lambda"
_LAMBDA_TRUST_POLICY: Final = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
# The moto settings local mode needs: run state machines, and Lambda without Docker (the patched backend).
_MOTO_CONFIG: Final[dict[str, Any]] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}


class LocalAwsError(RuntimeError):
    """LocalAws was used in a way it cannot support; the message says what to change."""


def _missing_emr_runner(job: dict[str, Any]) -> None:
    raise LocalAwsError(
        f"EMR Serverless job {job.get('Name') or job.get('JobRunId')!r} has no runner: call "
        "LocalAws.set_emr_runner(runner) before starting an execution that runs the Transform"
    )


class LocalAws:
    """A moto server on 127.0.0.1 with our patches; use as a context manager or start()/stop()."""

    _active: ClassVar[LocalAws | None] = None
    _active_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, region: str = "us-east-1", *, log_requests: bool = False) -> None:
        self.region = region
        self._log_requests = log_requests
        self._server: Any = None
        self._endpoint_url: str | None = None
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_KEY_ID, aws_secret_access_key=DUMMY_SECRET, region_name=region
        )
        self._session_lock = threading.Lock()  # boto3 sessions are not safe for concurrent client creation
        self._saved_config: dict[str, Any] = {}

    # ---------------------------------------------------------------------------------------------
    # lifecycle

    def start(self) -> LocalAws:
        moto_patches.apply()
        if not self._log_requests:
            _quiet_moto_logs()
        with LocalAws._active_lock:
            if LocalAws._active is not None:
                raise LocalAwsError(
                    "another LocalAws is running in this process (moto's state is per process): stop it first"
                )
            LocalAws._active = self
        try:
            self._server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
            self._server.start()
            host, port = self._server.get_host_and_port()
            self._endpoint_url = f"http://{host}:{port}"
            self._post("/moto-api/reset", {})
            self._saved_config = self._post("/moto-api/config", {})
            self._saved_config.setdefault("stepfunctions", {"execute_state_machine": False})
            self._post("/moto-api/config", _MOTO_CONFIG)
            moto_patches.set_endpoint(self._endpoint_url)
            moto_patches.set_emr_runner(_missing_emr_runner)
        except BaseException:
            self.stop()
            raise
        logger.debug("moto server on %s", self._endpoint_url)
        return self

    def stop(self) -> None:
        """Abort executions still running, restore moto's settings and shut the server down."""
        try:
            if self._endpoint_url is not None:
                self._stop_running_executions()
                if self._saved_config:
                    self._post("/moto-api/config", self._saved_config)
        finally:
            if self._server is not None:
                moto_patches.set_endpoint(None)
                moto_patches.set_emr_runner(None)
                moto_patches.clear_handlers()
                self._server.stop()
            self._server = None
            self._endpoint_url = None
            with LocalAws._active_lock:
                if LocalAws._active is self:
                    LocalAws._active = None

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------------------------------------
    # what callers use

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise LocalAwsError("LocalAws is not started: call start() or use it as a context manager")
        return self._endpoint_url

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for `service` on the moto server (dummy credentials, this region)."""
        endpoint_url = self.endpoint_url
        with self._session_lock:
            return self._session.client(
                service, endpoint_url=endpoint_url, config=Config(**config) if config else None
            )

    def environment(self) -> dict[str, str]:
        """The variables in-process handlers (and anything else using boto3) need to reach this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": DUMMY_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
            "AWS_EC2_METADATA_DISABLED": "true",  # never look for instance credentials off this machine
        }

    def register_handler(self, function_name: str, handler: str | Callable[..., Any]) -> None:
        """Make the moto Lambda `function_name` run `handler` ("pkg.module.function", or a callable)
        in this process, in the server's request thread."""
        moto_patches.register_handler(function_name, handler)

    def set_emr_runner(self, runner: EmrRunner | None) -> None:
        """Run EMR Serverless job runs with `runner(job)`: returning is SUCCESS, raising is FAILED.
        None unsets it: job runs then fail with a message that says to set one."""
        moto_patches.set_emr_runner(runner or _missing_emr_runner)

    def create_function(
        self,
        function_name: str,
        handler: str | Callable[..., Any],
        *,
        memory_mb: int = 512,
        timeout_seconds: int = 900,
        environment: dict[str, str] | None = None,
    ) -> str:
        """Create a moto Lambda function that runs `handler` in-process; returns its ARN.

        `environment` is recorded on the function (as SAM would) but not applied: handlers read
        `os.environ`, which all functions share here.
        """
        role_arn = self._lambda_role_arn()
        response = self.client("lambda").create_function(
            FunctionName=function_name,
            Runtime="python3.11",
            Role=role_arn,
            Handler=handler if isinstance(handler, str) else f"{handler.__module__}.{handler.__qualname__}",
            Code={"ZipFile": _placeholder_zip()},
            MemorySize=memory_mb,
            Timeout=timeout_seconds,
            Environment={"Variables": environment or {}},
        )
        self.register_handler(function_name, handler)
        return str(response["FunctionArn"])

    def create_emr_application(self, name: str = "wistia-transform", release_label: str = "emr-7.5.0") -> str:
        """Create an EMR Serverless application for the Transform to run on; returns its id."""
        response = self.client("emr-serverless").create_application(
            name=name, releaseLabel=release_label, type="SPARK"
        )
        return str(response["applicationId"])

    def role_arn(self, name: str) -> str:
        """An IAM role that exists in moto (created if needed): state machines and job runs need one."""
        iam = self.client("iam")
        try:
            return str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            return str(
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=_LAMBDA_TRUST_POLICY)["Role"]["Arn"]
            )

    # ---------------------------------------------------------------------------------------------
    # internals

    def _lambda_role_arn(self) -> str:
        return self.role_arn(LAMBDA_ROLE_NAME)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1
            self.endpoint_url + path,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
        try:
            parsed = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def _stop_running_executions(self) -> None:
        sfn = self.client("stepfunctions")
        try:
            for machine in sfn.list_state_machines().get("stateMachines", []):
                running = sfn.list_executions(
                    stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
                )
                for execution in running.get("executions", []):
                    sfn.stop_execution(executionArn=execution["executionArn"], error="LocalAws.Stopped")
        except Exception:  # best effort: the server goes away next anyway
            logger.warning("could not stop running executions", exc_info=True)


def _quiet_moto_logs() -> None:
    """Werkzeug logs every request at INFO; moto's interpreter logs every error a Catch handles at ERROR,
    and warns that tolerated-failure thresholds have no effect (moto_patches makes them work). All of it
    drowns the run's own output. Loggers someone configured already are left alone."""
    for name, level in (
        ("werkzeug", logging.WARNING),
        ("moto.stepfunctions.parser.asl.component.eval_component", logging.CRITICAL),
        ("moto.stepfunctions.parser.asl.parse.preprocessor", logging.ERROR),
    ):
        named = logging.getLogger(name)
        if named.level == logging.NOTSET:
            named.setLevel(level)


def _placeholder_zip() -> bytes:
    """moto wants code for a function; the handler runs from this process's import path instead."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "README.txt", "wistia local mode: the handler runs in-process (wistia_local.moto_patches)\n"
        )
    return buffer.getvalue()
