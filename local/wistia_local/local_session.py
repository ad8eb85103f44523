"""Glue for the local commands: the simulated account that persists across `wistia-pipeline run`s, one
execution, its summary on screen and in the workdir, and a few lines of insight from the gold views; and
`simulated_pipeline`, the simulator-bound pipeline that `simulate`, the benchmarks and the tests share."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from wistia_local.aws_local import LocalAws
from wistia_local.errors import CommandError
from wistia_local.local_emr import EmrRunner, LocalEmrRunner
from wistia_local.local_run import REGION, ExecutionReport, LocalPipeline, new_token
from wistia_local.workdir import Workdir

SIMULATOR_FILE = "simulator.json"


@contextlib.contextmanager
def wistia_api(
    workdir: Workdir,
    *,
    run_date: dt.date,
    preset: str,
    seed: int,
    faults: str,
    base_url: str | None,
    quirks: str = "none",
) -> Iterator[tuple[str, str, Any]]:
    """(base URL, token, simulator or None): the given API, or a simulator continuing the workdir's
    account (its origin is kept in the workdir, so each run sees the same account further along)."""
    if base_url:
        yield base_url, os.environ["WISTIA_API_TOKEN"], None
        return
    from wistia_simulator import PRESETS, FaultProfile, SimulatorConfig, WistiaSimulator  # noqa: PLC0415
    from wistia_simulator.quirks import Quirks  # noqa: PLC0415

    if preset not in PRESETS:
        raise CommandError(f"unknown preset {preset!r}; choose one of {', '.join(sorted(PRESETS))}")
    saved = workdir.read_json(SIMULATOR_FILE) or {}
    if saved and (saved.get("preset"), saved.get("seed")) != (preset, seed):
        raise CommandError(
            f"{workdir.root} holds the {saved['preset']} account (seed {saved['seed']}); use the same "
            "--preset/--seed, or another --workdir for another account"
        )
    origin = dt.date.fromisoformat(saved["origin"]) if saved else None
    try:
        profile = FaultProfile.parse(faults)
        behaviours = Quirks.parse(quirks)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    token = new_token()
    config = SimulatorConfig(
        preset=preset, seed=seed, date=run_date, token=token, faults=profile, origin=origin, quirks=behaviours
    )
    with WistiaSimulator(config) as sim:
        workdir.write_json(SIMULATOR_FILE, {"preset": preset, "seed": seed, "origin": sim.origin.isoformat()})
        yield sim.base_url, token, sim


@contextlib.contextmanager
def simulated_pipeline(
    workdir: Path,
    config: Any,
    *,
    environment: dict[str, str] | None = None,
    emr_runner: Callable[..., EmrRunner] = LocalEmrRunner,
) -> Iterator[tuple[Any, LocalAws, LocalPipeline]]:
    """(simulator, moto, pipeline): a `WistiaSimulator` of `config` (a `SimulatorConfig`), and the pipeline
    deployed in moto from `workdir`, bound to the simulator with its token and clock. `environment` goes
    to the Lambdas on top of the template's. The process environment, which LocalAws points at moto, is
    restored afterwards."""
    from wistia_simulator import WistiaSimulator  # noqa: PLC0415

    saved = dict(os.environ)
    try:
        with WistiaSimulator(config) as sim, LocalAws(region=REGION) as aws:
            pipeline = LocalPipeline(
                aws,
                Workdir(workdir),
                wistia_base_url=sim.base_url,
                wistia_token=config.token,
                clock_date=lambda: sim.now.date(),  # noqa: PLW0108 - the clock moves
                on_event=lambda message: None,
                extra_environment=environment,
                emr_runner=emr_runner,
            )
            yield sim, aws, pipeline
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_locally(
    *,
    workdir: Path,
    run_date: dt.date | None,
    execution_input: dict[str, Any],
    preset: str = "demo",
    seed: int = 7,
    faults: str = "none",
    quirks: str = "none",
    wistia_base_url: str | None = None,
    insights: bool = True,
    verbose: bool = False,
) -> ExecutionReport:
    day = run_date or dt.datetime.now(dt.UTC).date()
    state = Workdir(workdir)
    started = time.monotonic()
    with (
        wistia_api(
            state,
            run_date=day,
            preset=preset,
            seed=seed,
            faults=faults,
            quirks=quirks,
            base_url=wistia_base_url,
        ) as (
            base_url,
            token,
            sim,
        ),
        LocalAws(region=REGION) as aws,
    ):
        print(f"local run for {day} ({'simulator ' + preset if sim else base_url}), workdir {workdir}")
        quiet = {} if verbose else {"POWERTOOLS_LOG_LEVEL": "WARNING"}  # the Lambdas' JSON logs
        pipeline = LocalPipeline(
            aws,
            state,
            wistia_base_url=base_url,
            wistia_token=token,
            clock_date=lambda: day,
            extra_environment=quiet,
        )
        arn = pipeline.start({**execution_input, "run_date": day.isoformat()})
        print(f"execution {arn.rsplit(':', 1)[-1]}")
        description = pipeline.wait(arn)
        requests = sim.stats() if sim else {}
        report = pipeline.report(arn, description, started=started, requests=requests)
        pipeline.save()
    state.write_json(f"runs/{report.name}.json", report.to_json())
    print_summary(report)
    if insights and report.status == "SUCCEEDED" and not execution_input.get("dry_run"):
        print_insights(state.bucket_dir(pipeline.lake_bucket))
    return report


def print_summary(report: ExecutionReport) -> None:
    print(f"\n{report.name}: {report.status} in {report.seconds:.1f} s")
    if report.error or report.cause:
        print(f"  error: {report.error}: {report.cause}")
    if report.requests:
        total, by_status = report.requests.get("total", 0), report.requests.get("by_status")
        print(f"  Wistia requests: {total} (by status {by_status})")
    if report.transform:
        for table, counts in sorted(report.transform.get("tables", {}).items()):
            if "inserted" in counts:
                read, quarantined = counts.get("records_in", "-"), counts.get("quarantined", 0)
                print(
                    f"  {table:<22} read {read:>6}  inserted {counts['inserted']:>6}  "
                    f"updated {counts['updated']:>6}  quarantined {quarantined:>4}"
                )
    if report.watermarks:
        print("  watermarks: " + ", ".join(f"{k}={v}" for k, v in sorted(report.watermarks.items())))


def print_insights(lake_dir: Path) -> None:
    from wistia_local.lake_query import open_lake  # noqa: PLC0415

    with open_lake(lake_dir) as lake:
        channels = lake.query(
            "SELECT channel, plays, loads, ROUND(play_rate, 3) AS play_rate, "
            "ROUND(hours_watched, 1) AS hours FROM channel_comparison ORDER BY plays DESC"
        )
        top = lake.query("SELECT rank, name, channel, plays FROM top_medias ORDER BY rank LIMIT 3")
    print("\nchannel comparison (latest snapshot):")
    for row in channels.rows:
        print("  " + ", ".join(f"{name} {value}" for name, value in zip(channels.columns, row, strict=True)))
    print("top medias by plays:")
    for row in top.rows:
        print(f"  #{row[0]} {row[1]} ({row[2]}): {row[3]} plays")
