"""EMR Serverless, locally: the Transform task's startJobRun runs the real job the way EMR runs it.

What EMR gets is what spark-submit gets here: the job run's `EntryPoint`, `EntryPointArguments` and
`SparkSubmitParameters`, exactly as the state machine sends them (the template's DefinitionSubstitutions).
Only locations are translated:

- `/usr/share/aws/delta/lib/` (the EMR image's Delta jars) -> the verified jars of the template's release
  in `.emr/<release>/usr/share/aws/delta/lib/` (`make setup` fetches them);
- `s3://<bucket>/<key>` -> the workdir's mirror of the bucket (local Spark has no S3 connector): the job's
  entry point and `--py-files` zip (uploaded by `deploy_spark_job`, packaged by spark/package_job.py as
  the deploy script does), the manifest and the lake.

The job's Python is `.venv-emr/`: pyspark and nothing else, as on EMR (no `delta` package, no pip
extras), so an import that would fail on EMR fails here. Spark gets a local master and the job's
`--local` flag (small shuffles); what the job wrote into the mirror is uploaded back into moto afterwards.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wistia_local.delta_jars import require_jars
from wistia_local.emr_release import EMR_DELTA_LIB, EmrRelease, template_release
from wistia_local.errors import CommandError
from wistia_local.template import REPO_ROOT, load_template
from wistia_local.workdir import Workdir

JOB_VENV = REPO_ROOT / ".venv-emr"
PACKAGE_JOB = REPO_ROOT / "spark" / "package_job.py"
LOG_TAIL_LINES = 40
# This machine's resources, not the job's: EMR sizes the driver and executors itself. The driver's JVM
# flags suit a short-lived JVM on few cores, where C2's compiler threads and parallel GC threads compete
# with the job for the same two cores: C1 only and the serial collector halve the merges' time when three
# such JVMs share two cores (bench `local_jvm`), and change nothing in what the job computes.
LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
LOCAL_SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "2g",
    "spark.driver.extraJavaOptions": LOCAL_JAVA_OPTIONS,
}
LOCAL_SPARK = tuple(arg for key, value in LOCAL_SPARK_CONF.items() for arg in ("--conf", f"{key}={value}"))
_S3_URI = re.compile(r"s3://[^,\s]+")
# Variables of the calling process that would leak its packages into the job's Python.
_NOT_INHERITED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYSPARK_SUBMIT_ARGS", "SPARK_HOME")


class SparkJobFailed(RuntimeError):
    """spark-submit exited non-zero; the message carries the end of its output."""


@dataclass(frozen=True)
class JobRuntime:
    """The EMR image's stand-ins: its release, the job's Python and spark-submit, and its Delta jars."""

    release: EmrRelease
    python: Path
    spark_submit: Path
    delta_lib: Path

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
        return {**env, "PYSPARK_PYTHON": str(self.python), "PYSPARK_DRIVER_PYTHON": str(self.python)}


def job_runtime(venv: Path = JOB_VENV) -> JobRuntime:
    """The local EMR runtime of the template's release, or a CommandError saying how to set it up."""
    release = template_release()
    python, spark_submit = venv / "bin" / "python", venv / "bin" / "spark-submit"
    if not (python.is_file() and spark_submit.is_file()):
        raise CommandError(f"the Spark job's Python ({venv}) is missing: run `make setup`")
    return JobRuntime(release, python, spark_submit, require_jars(release))


def template_submit_parameters() -> str:
    """The SparkSubmitParameters of template.yaml, before CloudFormation substitutes the bucket names."""
    substitution = load_template()["Resources"]["WistiaPipeline"]["Properties"]["DefinitionSubstitutions"]
    return str(substitution["SparkSubmitParameters"]["Fn::Sub"])


def translate(tokens: Iterable[str], *, delta_lib: Path, local_path: Callable[[str], str]) -> list[str]:
    """spark-submit tokens with EMR's Delta folder and S3 URIs replaced by their local stand-ins."""
    emr_lib, local_lib = EMR_DELTA_LIB, f"{delta_lib}/"
    return [
        _S3_URI.sub(lambda m: local_path(m.group(0)), token.replace(emr_lib, local_lib)) for token in tokens
    ]


def session_conf(runtime: JobRuntime) -> dict[str, str]:
    """The template's `--conf` settings (Delta's jars, extension and catalog) and this machine's, for a
    session started in Python, as tests and benchmarks do: the job's Delta set-up without spark-submit."""
    tokens = translate(
        shlex.split(template_submit_parameters()), delta_lib=runtime.delta_lib, local_path=lambda uri: uri
    )
    settings = [value for flag, value in itertools.pairwise(tokens) if flag == "--conf"]
    return {**LOCAL_SPARK_CONF, **dict(setting.split("=", 1) for setting in settings)}


def _package_job(out_dir: Path) -> tuple[Path, Path]:
    """spark/package_job.py's build(), the code the deploy script runs (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("wistia_package_job", PACKAGE_JOB)
    if spec is None or spec.loader is None:  # pragma: no cover - the file is part of the repository
        raise CommandError(f"cannot load {PACKAGE_JOB}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths: tuple[Path, Path] = module.build(out_dir)
    return paths


def deploy_spark_job(s3: Any, *, entry_point_uri: str, py_files_uri: str) -> None:
    """Upload the job where the state machine's job run reads it, as .github/scripts/upload-spark-job.sh."""
    with tempfile.TemporaryDirectory(prefix="wistia-spark-job-") as scratch:
        entry_point, archive = _package_job(Path(scratch))
        for path, uri in ((entry_point, entry_point_uri), (archive, py_files_uri)):
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())


class EmrRunner:
    """A job runner for LocalAws (`set_emr_runner`). Both runners mirror the job run's S3 buckets to files
    around the job and have the test hook `fail_next_with` (the next job fails with it before starting)."""

    def __init__(
        self,
        *,
        workdir: Workdir,
        s3: Any,
        log_dir: Path,
        on_event: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.workdir = workdir
        self.s3 = s3
        self.log_dir = log_dir
        self.on_event = on_event
        self.fail_next_with: str | None = None

    def __call__(self, job: dict[str, Any]) -> None:
        driver = job["JobDriver"]["SparkSubmit"]
        texts = [str(driver["EntryPoint"]), str(driver.get("SparkSubmitParameters") or "")]
        texts += [str(arg) for arg in driver.get("EntryPointArguments", [])]
        uris = [uri for text in texts for uri in _S3_URI.findall(text)]
        buckets = sorted({uri.removeprefix("s3://").split("/", 1)[0] for uri in uris})
        for bucket in buckets:
            self.workdir.save_bucket(self.s3, bucket)
        if self.fail_next_with:
            message, self.fail_next_with = self.fail_next_with, None
            raise SparkJobFailed(message)
        started = time.time()
        self._run(str(job.get("Name") or "job"), driver)
        for bucket in buckets:
            self.workdir.import_changes(self.s3, bucket, since=started)

    def _run(self, name: str, driver: dict[str, Any]) -> None:
        raise NotImplementedError

    def _local_uri(self, uri: str) -> str:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        base = self.workdir.bucket_uri(bucket)
        return f"{base}/{key}" if key else base


class LocalEmrRunner(EmrRunner):
    """The job run as EMR runs it: spark-submit in the EMR layout (this module's docstring)."""

    def __init__(self, *, runtime: JobRuntime | None = None, **mirror: Any) -> None:
        super().__init__(**mirror)
        self.runtime = runtime or job_runtime()

    def _run(self, name: str, driver: dict[str, Any]) -> None:
        entry_point = str(driver["EntryPoint"])
        self.on_event(f"spark-submit {entry_point.rsplit('/', 1)[-1]} ({name})")
        local = functools.partial(translate, delta_lib=self.runtime.delta_lib, local_path=self._local_uri)
        command = [
            str(self.runtime.spark_submit),
            *LOCAL_SPARK,
            *local(shlex.split(str(driver.get("SparkSubmitParameters") or ""))),
            *local([entry_point]),
            *local([str(arg) for arg in driver.get("EntryPointArguments", [])]),
            "--local",
        ]
        self._spark_submit(name, command)

    def _spark_submit(self, name: str, command: list[str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("w", encoding="utf-8") as log:
            result = subprocess.run(  # noqa: S603 - our own job, arguments from our own state machine
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.runtime.environment(),
                check=False,
                cwd=self.log_dir,
            )
        if result.returncode != 0:
            tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
            raise SparkJobFailed(
                f"spark-submit exited with {result.returncode}; log {log_path}; last lines:\n"
                + "\n".join(tail)
            )


@functools.cache
def delta_session() -> Any:
    """One Delta-enabled SparkSession in this process (`session_conf`), its Python workers on this
    interpreter: for tests and benchmarks that run many jobs and cannot pay a JVM start for each."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from wistia_spark.session import build_session  # noqa: PLC0415 - pyspark only when a job runs here

    return build_session("wistia-local", local=True, conf=session_conf(job_runtime()))


class InProcessEmrRunner(EmrRunner):
    """The job's `run_transform` in this process's Delta session (`delta_session`), not spark-submit.

    Same job code, same Delta jars and SQL, same bucket mirroring; no JVM start per job. What it does not
    show (the EMR layout: the job's own Python, spark-submit, the packaged job) tests/e2e/test_emr_layout.py
    and the CLI's runs do. `record_only` records each job's local arguments without running it (benchmarks
    that run the transform later, on copies of the lake)."""

    def __init__(self, *, spark: Any = None, record_only: bool = False, **mirror: Any) -> None:
        super().__init__(**mirror)
        self.spark = spark
        self.record_only = record_only
        self.jobs: list[dict[str, str]] = []
        self.summaries: list[dict[str, Any]] = []

    def _run(self, name: str, driver: dict[str, Any]) -> None:
        arguments = [str(arg) for arg in driver.get("EntryPointArguments", [])]
        options = {
            flag: self._local_uri(value) if value.startswith("s3://") else value
            for flag, value in zip(arguments[::2], arguments[1::2], strict=True)
        }
        self.jobs.append(options)
        if self.record_only:
            return
        from wistia_spark.job import run_transform  # noqa: PLC0415 - pyspark only when a job runs here

        self.on_event(f"run_transform in this process ({name})")
        summary = run_transform(
            self.spark or delta_session(),
            manifest_uri=options["--manifest"],
            lake_uri=options["--lake"],
            run_id=options["--run-id"],
        )
        self.summaries.append(summary)
