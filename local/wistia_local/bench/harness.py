"""What the benchmarks share: a simulator and the local pipeline around it, samplers that watch a run
from outside (request counters, memory of the processes it starts), and an in-process Transform.

Nothing here changes what the pipeline does: the samplers only read (the simulator's counters, /proc),
and the in-process Transform calls the same `run_transform` that spark-submit runs, in a SparkSession
owned by the benchmark so that repeated transforms do not each pay for a JVM.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from wistia_local.aws_local import LocalAws
from wistia_local.local_run import LocalPipeline, _top_level_states, new_token
from wistia_local.local_session import simulated_pipeline

BENCH_DATE = dt.date(2026, 11, 20)
"""Every benchmark's simulated 'today': the account (and its weekly traffic pattern) is the same each run."""
SEED = 7
UNLIMITED_RPM = "600000"
"""WISTIA_REQUESTS_PER_MINUTE for runs whose request counts, not their pace, are measured."""
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


Log = Callable[[str], None]


@dataclass
class BenchContext:
    """What every benchmark gets: quick or full, a scratch directory, a progress printer, and a place
    to share a measurement two benchmarks need (the standard preset's nights)."""

    quick: bool
    scratch: Path
    log: Log = print
    shared: dict[str, Any] = field(default_factory=dict)

    def workdir(self, name: str) -> Path:
        path = self.scratch / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path


@dataclass
class NightRun:
    name: str
    status: str
    seconds: float
    states: list[dict[str, Any]]
    output: Any
    requests: dict[str, Any]
    cause: str | None = None

    @property
    def plan(self) -> dict[str, Any]:
        return dict(self.output.get("plan") or {}) if isinstance(self.output, dict) else {}

    def state_seconds(self) -> dict[str, float]:
        return {state["name"]: round(float(state["seconds"]), 2) for state in self.states}


@dataclass
class PipelineSession:
    sim: Any
    aws: LocalAws
    pipeline: LocalPipeline

    def night(self, execution_input: dict[str, Any], *, name: str, timeout: float = 3600) -> NightRun:
        """One execution; the simulator's counters are reset first, so `requests` is this run's alone."""
        self.sim.reset_stats()
        started = time.monotonic()
        arn = self.pipeline.start(execution_input, name=name)
        description = self.pipeline.wait(arn, timeout_seconds=timeout)
        seconds = time.monotonic() - started
        return NightRun(
            name=name,
            status=str(description["status"]),
            seconds=seconds,
            states=_top_level_states(self.pipeline.history(arn), self.pipeline.state_names),
            output=json.loads(description.get("output") or "null"),
            requests=self.sim.stats(),
            cause=description.get("cause"),
        )

    @property
    def lake_dir(self) -> Path:
        return self.pipeline.workdir.bucket_dir(self.pipeline.lake_bucket)


@contextlib.contextmanager
def pipeline_session(
    workdir: Path,
    *,
    preset: str,
    date: dt.date = BENCH_DATE,
    rate_limit: int = 0,
    rate_window_seconds: float = 60.0,
    environment: dict[str, str] | None = None,
) -> Iterator[PipelineSession]:
    """A simulator (its rate limit `rate_limit` per window, 0 = none) and the local pipeline bound to it,
    in a fresh workdir. The Lambda environment gets `environment` on top of the template's."""
    from wistia_simulator import SimulatorConfig  # noqa: PLC0415

    config = SimulatorConfig(
        preset=preset,
        seed=SEED,
        date=date,
        token=new_token(),
        rate_limit_per_minute=rate_limit,
        rate_window_seconds=rate_window_seconds,
    )
    quiet = {"POWERTOOLS_LOG_LEVEL": "ERROR", **(environment or {})}
    with simulated_pipeline(workdir, config, environment=quiet) as (sim, aws, pipeline):
        yield PipelineSession(sim=sim, aws=aws, pipeline=pipeline)
        pipeline.save()


# -- samplers ----------------------------------------------------------------------------------------


class Sampler:
    """Calls `probe` every `interval` seconds on a thread while in the `with` block."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def probe(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.probe()
        self._thread = threading.Thread(target=self._loop, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.probe()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.probe()


class RequestSampler(Sampler):
    """The simulator's counters over time: (monotonic seconds, requests answered, of which 429)."""

    def __init__(self, sim: Any, interval: float = 0.1) -> None:
        super().__init__(interval)
        self.sim = sim
        self.samples: list[tuple[float, int, int]] = []

    def probe(self) -> None:
        stats = self.sim.stats()
        self.samples.append((time.monotonic(), int(stats["total"]), int(stats["by_status"].get("429", 0))))


class ProcessTreeMemory(Sampler):
    """Peak resident memory of the processes this process starts (spark-submit: the JVM and its Python
    workers), summed over the tree at each sample; processes already running at the start are left out."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(interval)
        self.root = os.getpid()
        self.ignored = set(_descendants(self.root))
        self.peak_bytes = 0
        self.peak_largest_bytes = 0

    def probe(self) -> None:
        sizes = [_rss_bytes(pid) for pid in _descendants(self.root) if pid not in self.ignored]
        self.peak_bytes = max(self.peak_bytes, sum(sizes))
        self.peak_largest_bytes = max([self.peak_largest_bytes, *sizes])


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text(encoding="utf-8")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _rss_bytes(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text(encoding="utf-8").split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_SIZE


# -- small helpers -----------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")
