"""`wistia-pipeline dashboard`: the options become the right `streamlit run` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest

from wistia_local import dashboard_command
from wistia_local.errors import CommandError
from wistia_local.query_command import LOCAL_LAKE_DEFAULT


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command", required=True)
    dashboard_command.register(subparsers)
    return parser.parse_args(["dashboard", *argv])


def test_defaults_serve_the_local_lake_on_loopback() -> None:
    args = parse()
    assert args.lake == LOCAL_LAKE_DEFAULT
    command = dashboard_command.streamlit_command(args)
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(dashboard_command.APP_PATH)]
    assert dashboard_command.APP_PATH.is_file()
    options = dict(zip(command[5:-3:2], command[6:-3:2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8501"
    assert options["--server.headless"] == "true"
    assert command[-3:] == ["--", "--lake", str(LOCAL_LAKE_DEFAULT.resolve())]


def test_athena_and_port_options_reach_the_app(tmp_path: Path) -> None:
    command = dashboard_command.streamlit_command(
        parse("--athena", "--workgroup", "wistia-prod", "--database", "wistia_prod", "--port", "9000")
    )
    assert command[command.index("--server.port") + 1] == "9000"
    assert command[command.index("--") + 1 :] == [
        "--athena",
        "--workgroup",
        "wistia-prod",
        "--database",
        "wistia_prod",
    ]
    local = dashboard_command.streamlit_command(parse("--lake", str(tmp_path)))
    assert local[-2:] == ["--lake", str(tmp_path)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--port", "0"], "not a TCP port"), (["--workgroup", "wg"], "add --athena")],
)
def test_bad_options_are_refused(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        dashboard_command.streamlit_command(parse(*argv))


def test_run_returns_streamlits_exit_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    launched: list[list[str]] = []

    class FakeProcess:
        def __init__(self, command: list[str]) -> None:
            launched.append(command)

        def wait(self) -> int:
            return 3

        def terminate(self) -> None:  # pragma: no cover - only on SIGTERM
            pass

    def popen(command: list[str], **_: Any) -> FakeProcess:
        return FakeProcess(command)

    monkeypatch.setattr(dashboard_command.subprocess, "Popen", popen)
    args = parse("--lake", str(tmp_path))
    assert args.func(args) == 3
    assert launched == [dashboard_command.streamlit_command(args)]
