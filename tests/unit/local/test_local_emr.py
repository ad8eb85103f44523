"""Local mode's EMR runner submits what the state machine sends EMR, with only locations translated."""

from __future__ import annotations

import shlex
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from wistia_local.emr_release import EMR_DELTA_LIB
from wistia_local.local_emr import (
    JOB_VENV,
    LOCAL_SPARK_CONF,
    LocalEmrRunner,
    _package_job,
    deploy_spark_job,
    job_runtime,
    session_conf,
    template_submit_parameters,
)
from wistia_local.workdir import Workdir

ARTIFACTS, LAKE = "wistia-artifacts", "wistia-lake"


def job_run(parameters: str) -> dict[str, Any]:
    """A startJobRun request as the Transform state builds it (see statemachine/pipeline.asl.json)."""
    return {
        "Name": "nightly-2026-12-07-abc",
        "JobDriver": {
            "SparkSubmit": {
                "EntryPoint": f"s3://{ARTIFACTS}/entrypoint.py",
                "EntryPointArguments": [
                    "--manifest",
                    f"s3://{LAKE}/bronze/_runs/run=nightly-2026-12-07/manifest.json",
                    "--lake",
                    f"s3://{LAKE}",
                    "--run-id",
                    "nightly-2026-12-07-abc",
                ],
                "SparkSubmitParameters": parameters,
            }
        },
    }


def test_the_runner_submits_the_template_parameters_with_local_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = job_runtime()
    workdir = Workdir(tmp_path / "wd")
    parameters = template_submit_parameters().replace("${ArtifactsBucket}", ARTIFACTS)
    submitted: list[list[str]] = []
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in (ARTIFACTS, LAKE):
            s3.create_bucket(Bucket=bucket)
        deploy_spark_job(
            s3,
            entry_point_uri=f"s3://{ARTIFACTS}/entrypoint.py",
            py_files_uri=f"s3://{ARTIFACTS}/wistia_spark.zip",
        )
        runner = LocalEmrRunner(workdir=workdir, s3=s3, log_dir=tmp_path / "logs", runtime=runtime)
        monkeypatch.setattr(runner, "_spark_submit", lambda name, command: submitted.append(command))

        runner(job_run(parameters))

    [command] = submitted
    artifacts, lake = workdir.bucket_uri(ARTIFACTS), workdir.bucket_uri(LAKE)
    expected = shlex.split(parameters.replace(EMR_DELTA_LIB, f"{runtime.delta_lib}/"))
    expected[expected.index("--py-files") + 1] = f"{artifacts}/wistia_spark.zip"
    entry = command.index(f"{artifacts}/entrypoint.py")
    assert command[0] == str(JOB_VENV / "bin" / "spark-submit")
    assert command[entry - len(expected) : entry] == expected
    assert command[entry:] == [
        f"{artifacts}/entrypoint.py",
        "--manifest",
        f"{lake}/bronze/_runs/run=nightly-2026-12-07/manifest.json",
        "--lake",
        lake,
        "--run-id",
        "nightly-2026-12-07-abc",
        "--local",
    ]
    local_lib = str(runtime.delta_lib)
    assert not [t for t in command if EMR_DELTA_LIB in t.replace(local_lib, "") or "s3://" in t]
    assert "--packages" not in command
    # The job's files came from the artifacts bucket, as on EMR.
    assert (workdir.bucket_dir(ARTIFACTS) / "wistia_spark.zip").is_file()
    environment = runtime.environment()
    assert "PYTHONPATH" not in environment
    assert environment["PYSPARK_PYTHON"] == str(JOB_VENV / "bin" / "python")


def test_the_session_conf_is_the_template_delta_set_up_on_local_jars() -> None:
    runtime = job_runtime()

    conf = session_conf(runtime)

    assert conf == {
        **LOCAL_SPARK_CONF,
        "spark.jars": f"{runtime.delta_lib}/delta-spark.jar,{runtime.delta_lib}/delta-storage.jar",
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    }
    assert all(Path(jar).is_file() for jar in conf["spark.jars"].split(","))


def test_the_job_package_is_deterministic_and_holds_only_the_package_sources(tmp_path: Path) -> None:
    first_entry, first_zip = _package_job(tmp_path / "a")
    _, second_zip = _package_job(tmp_path / "b")

    assert first_zip.read_bytes() == second_zip.read_bytes()
    with zipfile.ZipFile(first_zip) as archive:
        names = archive.namelist()
    assert names == sorted(names)
    assert all(name.startswith("wistia_spark/") and name.endswith(".py") for name in names)
    assert "wistia_spark/merge.py" in names
    assert first_entry.read_text(encoding="utf-8").startswith('"""EMR Serverless entryPoint')


def test_a_missing_job_python_says_to_run_setup(tmp_path: Path) -> None:
    from wistia_local.errors import CommandError

    with pytest.raises(CommandError, match=r"Spark job's Python .* is missing: run `make setup`"):
        job_runtime(tmp_path / "no-venv")
