"""EMR Serverless, locally: the Transform task's startJobRun runs the real job with `spark-submit`.

The job reads and writes `s3://<bucket>/...` on EMR. Here Spark has no S3 connector, so the bucket is
mirrored to files first (`<workdir>/s3/<bucket>/`), the job runs against `file://` URIs with the
deltalake executor, and what it wrote is uploaded back into moto afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wistia_local.workdir import Workdir

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO_ROOT / "spark" / "entrypoint.py"
LOG_TAIL_LINES = 40


class SparkJobFailed(RuntimeError):
    """spark-submit exited non-zero; the message carries the end of its output."""


class LocalEmrRunner:
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
        self.fail_next_with: str | None = None  # fault injection for tests: the next job fails with this

    def __call__(self, job: dict[str, Any]) -> None:
        driver = job["JobDriver"]["SparkSubmit"]
        arguments = [str(arg) for arg in driver.get("EntryPointArguments", [])]
        buckets = sorted({arg[5:].split("/", 1)[0] for arg in arguments if arg.startswith("s3://")})
        for bucket in buckets:
            self.workdir.save_bucket(self.s3, bucket)
        local_args = [self._local_uri(arg) for arg in arguments]
        name = str(job.get("Name") or "job")
        if self.fail_next_with:
            message, self.fail_next_with = self.fail_next_with, None
            raise SparkJobFailed(message)
        started = time.time()
        self.on_event(f"spark-submit {ENTRYPOINT.name} ({name})")
        self._spark_submit(name, [*local_args, "--executor", "deltalake", "--local"])
        for bucket in buckets:
            self.workdir.import_changes(self.s3, bucket, since=started)

    def _local_uri(self, arg: str) -> str:
        if not arg.startswith("s3://"):
            return arg
        bucket, _, key = arg[5:].partition("/")
        base = self.workdir.bucket_uri(bucket)
        return f"{base}/{key}" if key else base

    def _spark_submit(self, name: str, arguments: list[str]) -> None:
        spark_submit = Path(sys.executable).with_name("spark-submit")
        command = [
            str(spark_submit),
            "--master",
            "local[2]",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.driver.memory=2g",
            str(ENTRYPOINT),
            *arguments,
        ]
        env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("w", encoding="utf-8") as log:
            result = subprocess.run(  # noqa: S603 - our own job, fixed arguments
                command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False, cwd=REPO_ROOT
            )
        if result.returncode != 0:
            tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
            raise SparkJobFailed(
                f"spark-submit exited with {result.returncode}; log {log_path}; last lines:\n"
                + "\n".join(tail)
            )
