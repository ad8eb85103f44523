"""4. End to end: `make demo` after set-up and `simulate --days 7` (demo preset), and where the time goes.

Both run as the command a user types, in a fresh workdir, in a child process: `make demo` is
`wistia-pipeline run --preset demo` (here with `--workdir` and `--date` pinned so every run sees the same
account and calendar), `simulate --days 7 --start <date>`. The child is the `wistia-pipeline` command
wrapped by probe.py, which records each execution's state durations and each spark-submit's wall time;
the Spark job's own summary (`transform_summary.json`, `seconds`) gives the time spent reading and
merging once the session is up. So each execution splits into:

- ingestion: Plan, IngestMedia, IngestEvents, IngestVisitors (the Lambdas against the simulator);
- Spark start-up and shutdown: spark-submit's wall time minus the job's own seconds (JVM, session);
- merges: the job's own seconds (reading bronze, building, the MERGEs);
- the rest of the run: Commit, the bucket mirroring around spark-submit, state transitions;

and the command's wall time minus its executions is set-up and wrap-up (interpreter and imports, the
simulator's account, moto and the template's resources, saving the workdir, the closing queries, and
for `simulate` the nightly reconciliation with the ground truth).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from wistia_local.bench.harness import BENCH_DATE, BenchContext, median, ratio
from wistia_local.bench.report import BenchResult

NAME = "end_to_end"
INGESTION = ("Plan", "IngestMedia", "IngestEvents", "IngestVisitors")


def run_command(ctx: BenchContext, label: str, arguments: list[str], workdir: Path) -> dict[str, Any]:
    """Run `wistia-pipeline ARGUMENTS` through the probe; returns the wall time and the breakdown."""
    timings_path = workdir.parent / f"{workdir.name}-timings.json"
    command = [sys.executable, "-m", "wistia_local.bench.probe", str(timings_path), *arguments]
    ctx.log(f"  wistia-pipeline {' '.join(arguments)}")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own command
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{label} exited with {done.returncode}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    timings = json.loads(timings_path.read_text(encoding="utf-8"))
    breakdown = split(timings, job_seconds(workdir), wall)
    ctx.log(f"  {label}: {wall:.1f} s")
    return {"wall_seconds": round(wall, 2), **breakdown}


def job_seconds(workdir: Path) -> dict[str, float]:
    """The Spark job's own seconds per execution (run_id), from its transform summaries."""
    found: dict[str, float] = {}
    for path in workdir.glob("s3/*/bronze/_runs/run=*/transform_summary.json"):
        summary = json.loads(path.read_text(encoding="utf-8"))
        found[str(summary["run_id"])] = float(summary["seconds"])
    return found


def split(timings: dict[str, Any], jobs: dict[str, float], wall: float) -> dict[str, Any]:
    """Seconds per part, summed over the command's executions (see the module docstring)."""
    submits = {entry["name"]: float(entry["seconds"]) for entry in timings["spark_submit"]}
    nights = []
    for execution in timings["executions"]:
        states = {state["name"]: float(state["seconds"]) for state in execution["states"]}
        name = execution["name"]
        total = sum(states.values())
        submit = submits.get(name, 0.0)
        job = jobs.get(name, 0.0)
        ingestion = sum(states.get(state, 0.0) for state in INGESTION)
        nights.append(
            {
                "execution": name,
                "status": execution["status"],
                "seconds": round(total, 2),
                "ingestion": round(ingestion, 2),
                "spark_start_and_stop": round(submit - job, 2),
                "merges": round(job, 2),
                "rest_of_run": round(total - ingestion - submit, 2),
                "states": {key: round(value, 2) for key, value in states.items()},
            }
        )
    parts = ("ingestion", "spark_start_and_stop", "merges", "rest_of_run")
    summed = {part: round(sum(float(night[part]) for night in nights), 2) for part in parts}
    executions = sum(float(night["seconds"]) for night in nights)
    summed["set_up_and_wrap_up"] = round(wall - executions, 2)
    return {"parts": summed, "executions": nights}


def _add_breakdown(result: BenchResult, label: str, measured: dict[str, Any]) -> None:
    wall = float(measured["wall_seconds"])
    parts = measured["parts"]
    result.add(f"{label}: wall time", wall, unit="s")
    for part, text in (
        ("ingestion", "ingestion (Plan and the ingestion Lambdas)"),
        ("spark_start_and_stop", "Spark start-up and shutdown"),
        ("merges", "Spark job: read, build, MERGE"),
        ("rest_of_run", "Commit, bucket sync, transitions"),
        ("set_up_and_wrap_up", "set-up and wrap-up outside the executions"),
    ):
        result.add(f"{label}: {text} / wall", ratio(float(parts[part]), wall), note=f"{parts[part]:.1f} s")


def run(ctx: BenchContext) -> BenchResult:
    result = BenchResult(NAME)
    demo_dir = ctx.workdir("e2e-demo")
    demo = run_command(
        ctx,
        "make demo",
        ["run", "--preset", "demo", "--workdir", str(demo_dir), "--date", BENCH_DATE.isoformat()],
        demo_dir,
    )
    _add_breakdown(result, "make demo", demo)
    result.details["make_demo"] = demo
    if ctx.quick:
        result.details["simulate"] = "skipped (--quick)"
        return result
    simulate_dir = ctx.workdir("e2e-simulate")
    simulate = run_command(
        ctx,
        "simulate --days 7",
        ["simulate", "--days", "7", "--start", BENCH_DATE.isoformat(), "--workdir", str(simulate_dir)],
        simulate_dir,
    )
    nights = [float(night["seconds"]) for night in simulate["executions"]]
    _add_breakdown(result, "simulate --days 7", simulate)
    result.add("simulate --days 7: median night", median(nights), unit="s", note=f"{len(nights)} nights")
    result.details["simulate"] = simulate
    return result
