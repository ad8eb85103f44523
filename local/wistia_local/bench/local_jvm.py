"""6. The local driver's JVM: the same Delta merges with the JVM's default flags and with
`LOCAL_JAVA_OPTIONS` (C1 only, the serial collector), one session alone and three at once.

Three at once is `make test` on CI: three pytest workers on two cores, two of them holding a Delta session
(tests/spark and the serial end-to-end group) and the CLI's tests running spark-submit beside them. Alone
is `make demo`'s one spark-submit per night.

Each session is a child process (`python -m wistia_local.bench.local_jvm OPTIONS LAKE NIGHTS`) that starts a
session with `session_conf` (the template's Delta set-up and this machine's settings) but the JVM options
under test, then merges a fixed workload into an empty fct_events through the job's own
`DeltaSparkExecutor`: a first night of `FIRST_ROWS` rows, then nights of `NIGHT_ROWS` rows that overlap the
previous night's keys (updates) and add new ones (inserts). A run's time is the slowest child's wall time,
launch to exit, JVM start included. The two flag sets run in the order default, tuned, tuned, default, so
drift in the machine's load falls on both; each figure is the ratio of the medians.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wistia_local.bench.harness import BenchContext, median, ratio
from wistia_local.bench.report import BenchResult, Target
from wistia_local.local_emr import LOCAL_JAVA_OPTIONS

NAME = "local_jvm"
CONTENDED_TARGET = Target("<", 1.0)
"""The flags exist for the contended case: they must make it faster."""
ALONE_TARGET = Target("<=", 1.1)
"""...and must not cost a lone run (the demo) more than noise."""
DEFAULT_OPTIONS = ""
FIRST_ROWS = 3000
NIGHT_ROWS = 500
NIGHT_OVERLAP = 200
CHILD_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class Scenario:
    nights: int
    sessions: tuple[int, ...]
    """How many sessions run at once, for each measurement."""


FULL = Scenario(nights=5, sessions=(1, 3))
QUICK = Scenario(nights=2, sessions=(1, 3))


def run_order() -> list[str]:
    """Default, tuned, tuned, default: a linear drift in the machine's load adds the same to both."""
    return [DEFAULT_OPTIONS, LOCAL_JAVA_OPTIONS, LOCAL_JAVA_OPTIONS, DEFAULT_OPTIONS]


def run_sessions(ctx: BenchContext, options: str, count: int, nights: int, label: str) -> dict[str, Any]:
    """`count` child sessions at once; the wall time until the last one exits, and each child's report."""
    started = time.monotonic()
    children = []
    for index in range(count):
        lake = ctx.workdir(f"{NAME}-{label}-{index}")
        command = [sys.executable, "-m", "wistia_local.bench.local_jvm", options, str(lake), str(nights)]
        children.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603 - this module
        )
    reports = []
    for child in children:
        out, err = child.communicate(timeout=CHILD_TIMEOUT_SECONDS)
        if child.returncode != 0:
            raise RuntimeError(f"a merge session failed ({options or 'default flags'}): {err[-1500:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return {"wall_seconds": time.monotonic() - started, "sessions": reports}


def run(ctx: BenchContext) -> BenchResult:
    scenario = QUICK if ctx.quick else FULL
    result = BenchResult(NAME)
    for count in scenario.sessions:
        walls: dict[str, list[float]] = {DEFAULT_OPTIONS: [], LOCAL_JAVA_OPTIONS: []}
        runs = []
        for turn, options in enumerate(run_order()):
            measured = run_sessions(ctx, options, count, scenario.nights, f"{count}x-{turn}")
            walls[options].append(measured["wall_seconds"])
            runs.append({"options": options or "(JVM defaults)", **measured})
            ctx.log(f"  {count} at once, {options or 'JVM defaults'}: {measured['wall_seconds']:.0f} s")
        default, tuned = median(walls[DEFAULT_OPTIONS]), median(walls[LOCAL_JAVA_OPTIONS])
        where = "alone" if count == 1 else f"{count} sessions at once on {os.cpu_count()} cores"
        result.add(
            f"merges {where}: {LOCAL_JAVA_OPTIONS} / JVM defaults",
            ratio(tuned, default),
            target=ALONE_TARGET if count == 1 else CONTENDED_TARGET,
            note=f"median wall {tuned:.0f} s vs {default:.0f} s; {1 + scenario.nights} merges a session",
        )
        result.details[f"{count}_at_once"] = runs
    return result


# -- the child: one session, the workload ----------------------------------------------------------


def night_keys(night: int) -> range:
    """Night 0: keys 0..FIRST_ROWS-1. Night n: NIGHT_ROWS keys, the first NIGHT_OVERLAP of them merged
    the night before (updates), the rest new (inserts)."""
    if night == 0:
        return range(FIRST_ROWS)
    start = FIRST_ROWS + (night - 1) * (NIGHT_ROWS - NIGHT_OVERLAP) - NIGHT_OVERLAP
    return range(start, start + NIGHT_ROWS)


def night_source(spark: Any, night: int) -> Any:
    """fct_events rows for `night_keys(night)`. Every value but the key and the event's day moves with
    the night, so a key merged again has a newer `observed_on` and another row hash: an update."""
    from pyspark.sql import functions as F  # noqa: PLC0415 - pyspark only in the child

    from wistia_spark.tables import FCT_EVENTS  # noqa: PLC0415

    keys = night_keys(night)
    key, tick = F.col("id"), F.lit(night)
    columns = []
    for name, kind in FCT_EVENTS.columns:
        if name in FCT_EVENTS.keys:
            value = F.concat(F.lit("event-"), key.cast("string"))
        elif name in FCT_EVENTS.partition_by:
            value = F.date_add(F.lit("2026-11-01").cast("date"), (key % 14).cast("int"))
        elif kind == "date":
            value = F.date_add(F.lit("2026-11-20").cast("date"), tick)
        elif kind == "string":
            value = F.concat_ws("-", F.lit(name), key.cast("string"), tick.cast("string"))
        else:
            value = key + tick
        columns.append(value.cast(kind).alias(name))
    return spark.range(keys.start, keys.stop).select(columns)


def main(argv: list[str]) -> int:
    """`OPTIONS LAKE NIGHTS`: one session with driver JVM options OPTIONS ('' = the JVM's defaults)
    merging 1 + NIGHTS nights into LAKE; prints a JSON line of its timings."""
    options, lake, nights = argv[0], Path(argv[1]), int(argv[2])
    started = time.monotonic()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from wistia_local.local_emr import job_runtime, session_conf  # noqa: PLC0415
    from wistia_spark.merge import DeltaSparkExecutor  # noqa: PLC0415
    from wistia_spark.session import build_session  # noqa: PLC0415
    from wistia_spark.tables import MERGES  # noqa: PLC0415

    conf = session_conf(job_runtime())
    conf.pop("spark.driver.extraJavaOptions", None)
    if options:
        conf["spark.driver.extraJavaOptions"] = options
    spark = build_session(f"bench-{NAME}", local=True, conf=conf)
    session_seconds = time.monotonic() - started
    executor = DeltaSparkExecutor(spark, lake.resolve().as_uri())
    merges = []
    for night in range(1 + nights):
        began = time.monotonic()
        merged = executor.merge(MERGES["fct_events"], night_source(spark, night))
        merges.append({"seconds": round(time.monotonic() - began, 2), **merged.to_json()})
    spark.stop()
    report = {"options": options, "session_seconds": round(session_seconds, 2), "merges": merges}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
