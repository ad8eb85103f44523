"""A Lambda cold start imports only what the handler needs: no Spark, dataframes, Delta, moto or local mode.

Each handler module is imported in a fresh interpreter with an environment holding no pipeline
settings, so the import also proves that nothing reads settings, secrets or AWS at import time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = [
    "wistia_ingest.handlers.ingest_media",
    "wistia_ingest.handlers.ingest_events",
    "wistia_ingest.handlers.ingest_visitors",
]
FORBIDDEN = {"pyspark", "pandas", "numpy", "deltalake", "duckdb", "moto", "wistia_simulator", "wistia_local"}
PROBE = """
import importlib, json, sys
module = importlib.import_module(sys.argv[1])
from wistia_ingest import aws, runtime
print(json.dumps({
    "modules": sorted({name.split(".")[0] for name in sys.modules}),
    "handler": callable(getattr(module, "handler", None)),
    "aws_clients": aws.client.cache_info().currsize,
    "runtimes": runtime.get_runtime.cache_info().currsize,
}))
"""


@pytest.mark.parametrize("module", HANDLERS)
def test_cold_import_is_light(module: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "functions"),  # the Lambda bundle alone, as CodeUri ships it
        "PYTHONNOUSERSITE": "1",
    }
    done = subprocess.run(  # noqa: S603 (our own interpreter and a fixed module list)
        [sys.executable, "-c", PROBE, module],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["handler"]
    assert sorted(FORBIDDEN & set(report["modules"])) == []
    assert {"aws_lambda_powertools", "wistia_ingest"} <= set(report["modules"])
    assert report["aws_clients"] == 0  # boto3 clients are created on first use, not at import
    assert report["runtimes"] == 0
