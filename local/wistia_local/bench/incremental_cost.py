"""3. Incremental cost: the Transform of one new night on a lake holding 30 days of history vs 365 days.

Each lake is built by the real pipeline: a first nightly run with `INITIAL_WINDOW_DAYS` set to the
history's length pulls that many days of events and daily rows from the `standard` simulator (its account
is a year old), and the Spark job merges them. The job runs in this process's SparkSession (the same
`run_transform` spark-submit runs), so the measurement leaves out the JVM's start-up, which does not depend
on history at all.

One table's history cannot come from a first run: `fct_media_engagement` gains one snapshot per media per
night, and the API only serves today's totals. Its earlier nights are written as a year of nightly runs
would have left them: one append commit per night (one file each), holding the first night's snapshot rows
dated that night. Visitors and medias come from the API's current state in both lakes (the first run
snapshots every visitor), so `dim_visitor` and `dim_media` are the same size in both.

Then the simulator moves a day and night 2 runs its ingestion (a 4-day window: the lookback and the new
day), recording the Transform's job instead of running it. The timed part merges that same night into
fresh copies of both lakes, alternating (30, 365, 365, 30, ...) so that drift in the machine's load
falls on both, and compares medians. Per-table seconds (reading, building and merging each table's
source) show which table, if any, grows with history.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from wistia_local.bench.harness import (
    UNLIMITED_RPM,
    BenchContext,
    median,
    pipeline_session,
    ratio,
)
from wistia_local.bench.report import BenchResult, Target
from wistia_local.local_emr import InProcessEmrRunner, delta_session

NAME = "incremental_cost"
TARGET = Target("<", 1.5)
OUTSIDE = "(outside the merges: reading bronze, counting, the summary)"
GOLD = ("dim_media", "dim_visitor", "fct_media_engagement", "fct_media_daily", "fct_events")


@dataclass(frozen=True)
class Scenario:
    preset: str
    short: int
    long: int
    repeats: int


FULL = Scenario(preset="standard", short=30, long=365, repeats=2)
QUICK = Scenario(preset="demo", short=7, long=30, repeats=1)


@dataclass
class Lake:
    history_days: int
    workdir: Path
    bucket: str
    job: dict[str, str]
    """Night 2's recorded job: --manifest, --lake, --run-id (file URIs into `workdir`)."""
    build_seconds: float
    rows: dict[str, int]

    @property
    def lake_dir(self) -> Path:
        return self.workdir / "s3" / self.bucket


def build_lake(ctx: BenchContext, scenario: Scenario, days: int, spark: Any) -> Lake:
    started = time.monotonic()
    workdir = ctx.workdir(f"incremental-{scenario.preset}-{days}d")
    environment = {"WISTIA_REQUESTS_PER_MINUTE": UNLIMITED_RPM, "INITIAL_WINDOW_DAYS": str(days)}
    with pipeline_session(workdir, preset=scenario.preset, environment=environment) as session:
        s3 = session.aws.client("s3")
        runner = InProcessEmrRunner(
            workdir=session.pipeline.workdir, s3=s3, log_dir=workdir / "logs", spark=spark
        )
        session.aws.set_emr_runner(runner)
        first = session.night({}, name=f"history-{days}d")
        _check(first.status, first.cause)
        written_since = time.time()
        extend_engagement_history(session.lake_dir, nights=days)
        session.pipeline.workdir.import_changes(s3, session.pipeline.lake_bucket, since=written_since)
        session.sim.advance_days(1)
        runner.record_only = True
        second = session.night({}, name=f"new-night-{days}d")
        _check(second.status, second.cause)
        bucket = session.pipeline.lake_bucket
    lake = Lake(
        history_days=days,
        workdir=workdir,
        bucket=bucket,
        job=runner.jobs[-1],
        build_seconds=time.monotonic() - started,
        rows=table_rows(workdir / "s3" / bucket),
    )
    ctx.log(f"  lake with {days} days of history built in {lake.build_seconds:.0f} s: {lake.rows}")
    return lake


def extend_engagement_history(lake_dir: Path, *, nights: int) -> int:
    """Add the `nights - 1` nights before the first one to fct_media_engagement, one append per night."""
    import pyarrow as pa  # noqa: PLC0415
    from deltalake import DeltaTable, write_deltalake  # noqa: PLC0415

    path = str(lake_dir / "gold" / "fct_media_engagement")
    rows = DeltaTable(path).to_pyarrow_table()
    dated = {name: rows.column(name).to_pylist() for name in ("snapshot_date", "observed_on")}
    for back in range(1, nights):
        shifted = rows
        for name, values in dated.items():
            moved = pa.array(
                [None if day is None else day - dt.timedelta(days=back) for day in values], pa.date32()
            )
            shifted = shifted.set_column(shifted.schema.get_field_index(name), name, moved)
        write_deltalake(path, shifted, mode="append")
    return nights - 1


def table_rows(lake_dir: Path) -> dict[str, int]:
    from deltalake import DeltaTable  # noqa: PLC0415

    counts: dict[str, int] = {}
    for name in GOLD:
        path = lake_dir / "gold" / name
        if path.is_dir():
            counts[name] = int(DeltaTable(str(path)).to_pyarrow_dataset().count_rows())
    return counts


class _TimedExecutor:
    """The job's merge executor, timing each merge call by table (source read + build + MERGE)."""

    def __init__(self, inner: Any, seconds: dict[str, float]) -> None:
        self._inner = inner
        self._seconds = seconds

    def table_uri(self, table: Any) -> Any:
        return self._inner.table_uri(table)

    def read(self, table: Any) -> Any:
        return self._inner.read(table)

    def merge(self, spec: Any, source: Any) -> Any:
        from wistia_spark.tables import MERGES  # noqa: PLC0415

        name = next((key for key, value in MERGES.items() if value is spec), spec.table.name)
        started = time.perf_counter()
        try:
            return self._inner.merge(spec, source)
        finally:
            self._seconds[name] += time.perf_counter() - started


@contextlib.contextmanager
def timed_merges() -> Iterator[dict[str, float]]:
    from wistia_spark.merge import DeltaSparkExecutor  # noqa: PLC0415

    seconds: dict[str, float] = defaultdict(float)

    def timed_executor(spark: Any, lake_uri: str) -> Any:
        return _TimedExecutor(DeltaSparkExecutor(spark, lake_uri), seconds)

    with mock.patch("wistia_spark.job.DeltaSparkExecutor", timed_executor):
        yield seconds


def time_new_night(ctx: BenchContext, lake: Lake, spark: Any, attempt: int) -> dict[str, Any]:
    """Merge night 2 into a fresh copy of the lake; returns the wall time and per-table seconds."""
    copy = ctx.scratch / f"timed-{lake.history_days}d-{attempt}"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(lake.lake_dir, copy)
    original, replacement = lake.lake_dir.resolve().as_uri(), copy.resolve().as_uri()
    job = {key: value.replace(original, replacement) for key, value in lake.job.items()}
    from wistia_spark.job import run_transform  # noqa: PLC0415 - pyspark only when the benchmark runs

    with timed_merges() as per_table:
        started = time.perf_counter()
        summary = run_transform(
            spark, manifest_uri=job["--manifest"], lake_uri=job["--lake"], run_id=job["--run-id"]
        )
        seconds = time.perf_counter() - started
    shutil.rmtree(copy)
    ctx.log(f"  new night on {lake.history_days} days of history: {seconds:.1f} s")
    tables = dict(per_table)
    tables[OUTSIDE] = seconds - sum(per_table.values())
    return {"seconds": seconds, "per_table": tables, "tables": summary.get("tables", {})}


def alternating(first: int, second: int, repeats: int) -> list[int]:
    """first, second, second, first, first, second, ...: each lake runs `repeats` times, in ABBA order."""
    order: list[int] = []
    for attempt in range(repeats):
        order += [first, second] if attempt % 2 == 0 else [second, first]
    return order


def run(ctx: BenchContext) -> BenchResult:
    scenario = QUICK if ctx.quick else FULL
    result = BenchResult(NAME)
    spark = delta_session()
    lakes = {days: build_lake(ctx, scenario, days, spark) for days in (scenario.short, scenario.long)}
    order = alternating(scenario.short, scenario.long, scenario.repeats)
    timings: dict[int, list[dict[str, Any]]] = {days: [] for days in lakes}
    for attempt, days in enumerate(order):
        timings[days].append(time_new_night(ctx, lakes[days], spark, attempt))
    short = median([t["seconds"] for t in timings[scenario.short]])
    long = median([t["seconds"] for t in timings[scenario.long]])
    result.add(
        f"transform, {scenario.short} days of history",
        short,
        unit="s",
        note=f"median of {len(timings[scenario.short])}",
    )
    result.add(
        f"transform, {scenario.long} days of history",
        long,
        unit="s",
        note=f"median of {len(timings[scenario.long])}",
    )
    per_table = {
        days: {
            table: round(median([t["per_table"].get(table, 0.0) for t in runs]), 2)
            for table in sorted({name for t in runs for name in t["per_table"]})
        }
        for days, runs in timings.items()
    }
    growth = {
        table: ratio(per_table[scenario.long][table], per_table[scenario.short][table])
        for table in per_table[scenario.short]
        if per_table[scenario.short][table] > 0
    }
    worst = max(growth, key=lambda table: growth[table]) if growth else "-"
    result.add(
        f"{scenario.long} days / {scenario.short} days",
        ratio(long, short),
        target=TARGET,
        note=f"the table that grows most: {worst} x{growth.get(worst, float('nan')):.2f}",
    )
    result.details = {
        "preset": scenario.preset,
        "order": order,
        "lakes": {
            days: {
                "rows": lake.rows,
                "build_seconds": round(lake.build_seconds, 1),
                "bytes": _size(lake.lake_dir / "gold"),
            }
            for days, lake in lakes.items()
        },
        "runs": {
            days: [{**t, "seconds": round(t["seconds"], 2)} for t in runs] for days, runs in timings.items()
        },
        "per_table_median_seconds": per_table,
        "per_table_growth": {table: round(value, 3) for table, value in growth.items()},
    }
    spark.stop()
    return result


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _check(status: str, cause: str | None) -> None:
    if status != "SUCCEEDED":
        raise RuntimeError(f"a lake-building run {status}: {cause}")
