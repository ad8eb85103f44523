"""The installed `wistia-pipeline` command, run as a user runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

COMMAND = Path(sys.executable).with_name("wistia-pipeline")


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script with fixed arguments
        [str(COMMAND), *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WISTIA_")}
    env.update(extra)
    return env


def test_demo_probes_every_endpoint_against_the_simulator(tmp_path: Path) -> None:
    result = run("explore", "all", "--simulator", "demo", "--date", "2026-11-20", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for probe in ("medias", "media-stats", "visitors", "events"):
        assert f"== {probe}:" in result.stdout
        samples = list((tmp_path / probe).glob("*.json"))
        assert len(samples) == 1
        assert json.loads(samples[0].read_text(encoding="utf-8"))["probe"] == probe
    assert "channel_mix" in result.stdout


def test_missing_token_is_a_clear_error(tmp_path: Path) -> None:
    result = run(
        "explore", "medias", "--env-file", str(tmp_path / "absent.env"), env=clean_env(), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "WISTIA_API_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_sim_serve_then_probe_it_with_a_token_from_dotenv(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603
        [
            str(COMMAND),
            "sim",
            "serve",
            "--preset",
            "demo",
            "--seed",
            "3",
            "--port",
            str(port),
            "--token",
            "dotenv-tok",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/_sim/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "simulator did not start"
            time.sleep(0.2)
        (tmp_path / ".env").write_text("WISTIA_API_TOKEN=dotenv-tok\n", encoding="utf-8")
        ok = run(
            "explore", "medias", "--base-url", f"{base}/v1", "--per-page", "3", env=clean_env(), cwd=tmp_path
        )
        assert ok.returncode == 0, ok.stderr
        assert "== medias: 3 items" in ok.stdout
        assert list((tmp_path / "exploration/samples/medias").glob("*.json"))

        bad = run(
            "explore",
            "visitors",
            "--base-url",
            f"{base}/v1",
            env=clean_env(WISTIA_API_TOKEN="wrong"),
            cwd=tmp_path,
        )
        assert bad.returncode == 2
        assert "wrong" not in bad.stderr and "Traceback" not in bad.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_run_is_the_demo_and_its_lake_answers_queries(tmp_path: Path) -> None:
    """What `make demo` runs: a nightly execution, its summary and insights, then a query of its lake."""
    workdir = tmp_path / "wd"
    # A whole night with a cold spark-submit, beside other workers: within the e2e test timeout (conftest).
    result = run("run", "--date", "2026-11-20", "--workdir", str(workdir), env=clean_env(), timeout=840)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for expected in (
        "Plan",
        "IngestMedia",
        "Transform",
        "Commit",
        "SUCCEEDED",
        "fct_events",
        "channel comparison",
    ):
        assert expected in result.stdout
    assert '"level"' not in result.stdout, "the Lambdas' JSON logs stay quiet without --verbose"
    assert list((workdir / "runs").glob("nightly-2026-11-20-*.json"))

    lake = workdir / "s3" / "wistia-lake"
    query = run("query", "--view", "top_medias", "--lake", str(lake), "--format", "json", env=clean_env())
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout)

    dry = run("run", "--date", "2026-11-21", "--workdir", str(workdir), "--dry-run", env=clean_env())
    assert dry.returncode == 0, dry.stderr
    assert "DryRunSucceeded" in dry.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "backfill", "--start", "2026-11-01"], "needs --start and --end"),
        (["--start", "2026-11-01"], "belong to --mode backfill"),
        (["--target", "aws"], "--state-machine-arn"),
        (["--date", "tomorrow"], "not a date"),
        (["--quirks", "tz,sometimes"], "unknown quirk"),
    ],
)
def test_run_refuses_bad_options_clearly(args: list[str], message: str, tmp_path: Path) -> None:
    result = run("run", "--workdir", str(tmp_path), *args, env=clean_env())
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("quirk", "environment", "advice"),
    [
        ("scope_missing", {}, "'Read detailed stats' permission"),
        ("basic_refused", {"WISTIA_AUTH_SCHEME": "basic"}, "WISTIA_AUTH_SCHEME=bearer"),
    ],
)
def test_run_against_a_token_the_stats_api_refuses_fails_clearly(
    quirk: str, environment: dict[str, str], advice: str, tmp_path: Path
) -> None:
    workdir = tmp_path / "wd"
    result = run(
        "run",
        "--date",
        "2026-11-20",
        "--workdir",
        str(workdir),
        "--quirks",
        quirk,
        env=clean_env(**environment),
    )
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "AuthenticationError" in result.stdout and advice in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    lake = workdir / "s3" / "wistia-lake"
    assert not [path for path in lake.rglob("*") if path.is_file()], "Plan stopped before writing anything"
