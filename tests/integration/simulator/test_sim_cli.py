"""`wistia-pipeline sim serve` and `sim ground-truth` (wired through argparse like the real CLI)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from wistia_local import sim_command
from wistia_simulator import SimulatorConfig, WistiaSimulator
from wistia_simulator.clock import parse_instant
from wistia_simulator.quirks import QUIRKS

RUN_SIM = (
    "import argparse, sys\n"
    "from wistia_local import sim_command\n"
    "parser = argparse.ArgumentParser()\n"
    "sim_command.register(parser.add_subparsers(required=True))\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.func(args))\n"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wistia-pipeline")
    sim_command.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_ground_truth_writes_json_files(tmp_path: Path) -> None:
    args = _parser().parse_args(
        [
            "sim",
            "ground-truth",
            "--date",
            "2026-11-20",
            "--as-of",
            "2026-11-19T12:00:00Z",
            "--out",
            str(tmp_path),
        ]
    )
    assert args.func(args) == 0
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["as_of"] == "2026-11-19T12:00:00Z" and meta["preset"] == "demo" and meta["seed"] == 7
    expected = WistiaSimulator(SimulatorConfig(date=dt.date(2026, 11, 20))).ground_truth(
        parse_instant("2026-11-19T12:00:00Z")
    )
    for name in meta["files"]:
        key = name.removesuffix(".json")
        assert json.loads((tmp_path / name).read_text()) == expected[key]
    assert meta["counts"]["events"] == len(expected["events"]) > 1000


def test_serve_starts_answers_and_stops_on_ctrl_c() -> None:
    env = {k: v for k, v in os.environ.items() if k != "WISTIA_API_TOKEN"}
    env["WISTIA_API_TOKEN"] = "cli-token"
    command = [sys.executable, "-c", RUN_SIM, "sim", "serve", "--port", "0", "--date", "2026-11-20"]
    with subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # As from a shell: Ctrl-C delivered. A test process may run with SIGINT ignored (seen under
        # xdist), and an ignored SIGINT is inherited, so Python would never raise KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    ) as process:
        try:
            assert process.stdout is not None
            lines = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                line = process.stdout.readline()
                lines.append(line)
                if line.startswith("Admin:"):
                    break
            api = next(line.split()[1] for line in lines if line.startswith("API:"))
            admin = next(line.split()[1] for line in lines if line.startswith("Admin:"))
            assert api.startswith("http://127.0.0.1:") and api.endswith("/v1")
            response = httpx.get(f"{api}/medias", headers={"Authorization": "Bearer cli-token"})
            assert response.status_code == 200 and response.json()
            assert httpx.get(f"{admin}/health").json()["status"] == "ok"
            assert "cli-token" not in "".join(lines)
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 0


def test_serve_without_token_fails_clearly() -> None:
    env = {k: v for k, v in os.environ.items() if k != "WISTIA_API_TOKEN"}
    result = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-c", RUN_SIM, "sim", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "WISTIA_API_TOKEN" in result.stderr and "--token" in result.stderr


def test_serve_rejects_a_bad_fault_profile() -> None:
    args = _parser().parse_args(["sim", "serve", "--token", "x", "--faults", "boom=1", "--port", "0"])
    assert args.func(args) == 2


def test_serve_rejects_bad_quirks_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["sim", "serve", "--token", "x", "--quirks", "tz,sunspots", "--port", "0"])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid quirks 'tz,sunspots': unknown quirk 'sunspots'")
    assert all(name in err for name in QUIRKS) and "Traceback" not in err


def test_quirks_help_lists_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["sim", "serve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--quirks NAME[,NAME...]" in out
    assert all(name in out for name in QUIRKS) and "'all' = every quirk but the two auth ones" in out


def test_ground_truth_with_quirks(tmp_path: Path) -> None:
    args = _parser().parse_args(
        ["sim", "ground-truth", "--date", "2026-11-20", "--quirks", "tz,bad_record", "--out", str(tmp_path)]
    )
    assert args.func(args) == 0
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["quirks"]["names"] == ["bad_record", "tz"] and meta["event_day_offset_hours"] == -5
    assert "quirks.json" not in meta["files"]
    events = json.loads((tmp_path / "events.json").read_text())
    assert any(e.get("quirk_bad_record") for e in events) and all(e["received_at"] for e in events)
