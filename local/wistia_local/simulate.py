"""A simulated week in production: one nightly execution per simulated day, each reconciled exactly.

One simulator (its clock advancing a day at a time), one moto, one workdir: day after day, the real
state machine runs the nightly execution; after each successful run the gold tables are reconciled
with the simulator's ground truth as the API could know it (reconcile.py). Faults, when switched on,
apply during the runs. The per-day table is printed and written as JSON and Markdown.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wistia_local.local_emr import EmrRunner, LocalEmrRunner
from wistia_local.local_run import LocalPipeline, new_token
from wistia_local.local_session import simulated_pipeline
from wistia_local.reconcile import Reconciliation, read_tables, reconcile

TRACKED = ("fct_events", "fct_media_daily", "fct_media_engagement", "dim_media", "dim_visitor")


@dataclass
class DayResult:
    day: dt.date
    execution: str
    status: str
    seconds: float
    requests: int
    faults_seen: int
    merged: dict[str, dict[str, int]] = field(default_factory=dict)
    reconciliation: dict[str, Any] | None = None
    cause: str | None = None

    @property
    def mismatches(self) -> int:
        return int(self.reconciliation["mismatches"]) if self.reconciliation else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "execution": self.execution,
            "status": self.status,
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "faults_injected": self.faults_seen,
            "merged": self.merged,
            "reconciliation": self.reconciliation,
            "cause": self.cause,
        }


@dataclass
class Simulation:
    preset: str
    seed: int
    faults: str
    quirks: str = "none"
    days: list[DayResult] = field(default_factory=list)

    @property
    def mismatches(self) -> int:
        return sum(day.mismatches for day in self.days)

    @property
    def ok(self) -> bool:
        """Zero mismatches, and the last day succeeded (a failed day must be recovered by a later one)."""
        return self.mismatches == 0 and bool(self.days) and self.days[-1].status == "SUCCEEDED"

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "seed": self.seed,
            "faults": self.faults,
            "quirks": self.quirks,
            "ok": self.ok,
            "mismatches": self.mismatches,
            "days": [day.to_json() for day in self.days],
        }

    def markdown(self) -> str:
        lines = [
            f"# Simulated week: preset `{self.preset}`, seed {self.seed}, faults `{self.faults}`, "
            f"quirks `{self.quirks}`",
            "",
            "| day | status | seconds | requests | faults | "
            + " | ".join(f"{t} +/~" for t in TRACKED)
            + " | mismatches |",
            "|" + "---|" * (6 + len(TRACKED)),
        ]
        for day in self.days:
            merged = " | ".join(
                f"{day.merged.get(t, {}).get('inserted', '-')}/{day.merged.get(t, {}).get('updated', '-')}"
                for t in TRACKED
            )
            lines.append(
                f"| {day.day} | {day.status} | {day.seconds:.1f} | {day.requests} | {day.faults_seen} | "
                f"{merged} | {day.mismatches if day.reconciliation else 'not reconciled'} |"
            )
        lines += [
            "",
            f"**Result: {'OK' if self.ok else 'FAILED'}**, {self.mismatches} mismatches in total.",
            "",
        ]
        return "\n".join(lines)


def simulate(
    *,
    days: int,
    start: dt.date,
    preset: str,
    seed: int,
    faults: str,
    workdir: Path,
    quirks: str = "none",
    rate_limit: int = 600,
    on_event: Any = print,
    emr_runner: Callable[..., EmrRunner] = LocalEmrRunner,
) -> Simulation:
    """N nights of the pipeline against an advancing simulator, each reconciled with its ground truth.
    `rate_limit`: the simulated account's requests per minute (Wistia's is 600), which the Lambdas' pace
    follows. Transform runs spark-submit in EMR's layout unless a test passes `InProcessEmrRunner`."""
    from wistia_simulator import FaultProfile, SimulatorConfig  # noqa: PLC0415
    from wistia_simulator.quirks import Quirks  # noqa: PLC0415

    if workdir.exists():
        shutil.rmtree(workdir)  # a simulation starts from nothing: its account and lake are its own
    profile = FaultProfile.parse(faults)
    simulation = Simulation(preset=preset, seed=seed, faults=faults, quirks=quirks)
    config = SimulatorConfig(
        preset=preset,
        seed=seed,
        date=start,
        token=new_token(),
        quirks=Quirks.parse(quirks),
        rate_limit_per_minute=rate_limit,
    )
    # The Lambdas pace themselves by the account's limit, as on AWS (WISTIA_ACCOUNT_RATE_LIMIT).
    environment = {"POWERTOOLS_LOG_LEVEL": "ERROR", "WISTIA_ACCOUNT_RATE_LIMIT": str(rate_limit)}
    with simulated_pipeline(workdir, config, environment=environment, emr_runner=emr_runner) as (
        sim,
        _,
        pipeline,
    ):
        covered_from: dt.date | None = None
        for number in range(days):
            if number:
                sim.advance_days(1)
            day = sim.now.date()
            sim.reset_stats()
            sim.set_faults(profile)
            started = time.monotonic()
            arn = pipeline.start({}, name=f"simulate-{day.isoformat()}")
            description = pipeline.wait(arn, timeout_seconds=3600)
            sim.set_faults(FaultProfile.parse("none"))
            stats = sim.stats()
            output = json.loads(description.get("output") or "null") or {}
            result = DayResult(
                day=day,
                execution=str(description["name"]),
                status=str(description["status"]),
                seconds=time.monotonic() - started,
                requests=int(stats.get("total", 0)),
                faults_seen=sum(int(n) for n in (stats.get("by_fault") or {}).values()),
                cause=description.get("cause"),
            )
            if result.status == "SUCCEEDED":
                plan = output["plan"]
                if covered_from is None:
                    covered_from = dt.date.fromisoformat(plan["run"]["window"]["start"])
                reconciliation = reconcile_night(pipeline, sim.ground_truth(), output, covered_from)
                result.reconciliation = reconciliation.to_json()
                result.merged = merged_counts(pipeline, plan["run"])
            simulation.days.append(result)
            on_event(_line(result))
        pipeline.save()
    return simulation


def write_report(simulation: Simulation, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "simulation.json"
    markdown_path = directory / "simulation.md"
    json_path.write_text(json.dumps(simulation.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    markdown_path.write_text(simulation.markdown(), encoding="utf-8")
    return json_path, markdown_path


def reconcile_night(
    pipeline: LocalPipeline, truth: dict[str, Any], output: dict[str, Any], covered_from: dt.date
) -> Reconciliation:
    """Hold the lake to the ground truth after the successful nightly execution whose output is given."""
    pipeline.save()
    lake = pipeline.workdir.bucket_dir(pipeline.lake_bucket)
    plan = output["plan"]
    visitors = output.get("visitors") or {}
    return reconcile(
        read_tables(lake),
        truth,
        run_date=dt.date.fromisoformat(plan["run"]["run_date"]),
        covered_from=covered_from,
        full_sweep=bool(plan.get("full_sweep")),
        visitor_snapshot=visitors.get("mode") == "snapshot",
        visitors_read=_visitors_read(lake, plan["run"]),
    )


def merged_counts(pipeline: LocalPipeline, run: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Rows inserted and updated per table by the run's merge (the Spark job's summary; after a save)."""
    lake = pipeline.workdir.bucket_dir(pipeline.lake_bucket)
    summary = lake / run["bronze_prefix"] / "_runs" / f"run={run['run_key']}" / "transform_summary.json"
    if not summary.is_file():
        return {}
    tables = json.loads(summary.read_text(encoding="utf-8")).get("tables", {})
    return {
        name: {"inserted": int(counts.get("inserted", 0)), "updated": int(counts.get("updated", 0))}
        for name, counts in tables.items()
        if name in TRACKED
    }


def _visitors_read(lake: Path, run: dict[str, Any]) -> set[str]:
    path = lake / run["bronze_prefix"] / "visitors_by_key" / f"run={run['run_key']}" / "visitors.json.gz"
    if not path.is_file():
        return set()
    return {visitor["visitor_key"] for visitor in json.loads(gzip.decompress(path.read_bytes()))}


def _line(result: DayResult) -> str:
    merged = " ".join(
        f"{name.split('_', 1)[1]}+{counts['inserted']}~{counts['updated']}"
        for name, counts in result.merged.items()
    )
    reconciled = f"mismatches {result.mismatches}" if result.reconciliation else "not reconciled"
    return (
        f"{result.day}  {result.status:<9} {result.seconds:6.1f} s  {result.requests:5d} requests  "
        f"{result.faults_seen:3d} faults  {merged}  {reconciled}"
    )
