"""`python -m wistia_local.bench.probe OUT.json ARGS...`: the `wistia-pipeline` command, timed from inside.

Runs `wistia_local.cli.main(CLI-ARGS)` exactly as the console script does, with two observers: each
execution's top-level states and their seconds (read from the execution history when `wait` returns),
and the wall time of each spark-submit. Nothing the command does changes. The timings go to OUT.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

from wistia_local import cli
from wistia_local.local_emr import LocalEmrRunner
from wistia_local.local_run import LocalPipeline, _top_level_states


def main(argv: list[str]) -> int:
    out, arguments = Path(argv[0]), argv[1:]
    timings: dict[str, Any] = {"executions": [], "spark_submit": []}
    wait, spark_submit = LocalPipeline.wait, LocalEmrRunner._spark_submit

    def timed_wait(
        self: LocalPipeline, execution_arn: str, *, timeout_seconds: float = 1800
    ) -> dict[str, Any]:
        description = wait(self, execution_arn, timeout_seconds=timeout_seconds)
        states = _top_level_states(self.history(execution_arn), self.state_names)
        timings["executions"].append(
            {"name": description["name"], "status": description["status"], "states": states}
        )
        return description

    def timed_spark_submit(self: LocalEmrRunner, name: str, arguments: list[str]) -> None:
        started = time.perf_counter()
        try:
            spark_submit(self, name, arguments)
        finally:
            timings["spark_submit"].append({"name": name, "seconds": time.perf_counter() - started})

    started = time.perf_counter()
    code = 1
    try:
        with (
            mock.patch.object(LocalPipeline, "wait", timed_wait),
            mock.patch.object(LocalEmrRunner, "_spark_submit", timed_spark_submit),
        ):
            code = cli.main(arguments)
    finally:
        timings["exit_code"] = code
        timings["seconds_in_command"] = time.perf_counter() - started
        out.write_text(json.dumps(timings, indent=1, default=str) + "\n", encoding="utf-8")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
