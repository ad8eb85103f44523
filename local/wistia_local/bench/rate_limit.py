"""2. Rate-limit use: how close a backfill with a long backlog runs to the account's limit, and how often
it is refused with a 429.

The real state machine runs a backfill (`--mode backfill` over 100 closed days: one `/by_date` call per
media, then every event page of every day) on the `standard` preset, with the template's Map concurrency
(5) and rate settings (`WISTIA_ACCOUNT_RATE_LIMIT` 600, `WISTIA_RATE_SHARE` 0.9). The simulator enforces
Wistia's rate, 10 requests a second, over a 30-s sliding window instead of 60 s (300 requests per window:
less burst tolerance than Wistia's, and the steady state is reached sooner). The backlog is over two
minutes of requests at that rate. The rate itself is not scaled up for the headline figures: the time a
Map spends between items (starting an item, writing bronze) does not shrink with it, so a faster clock
would weigh those gaps more than Wistia's does. A second scenario runs at twice the rate (20 a second over
15 s, `WISTIA_ACCOUNT_RATE_LIMIT` 1200) to show that sensitivity; it has no target.

The simulator's counters are sampled every 0.1 s. The achieved rate is measured over whole windows after
the first one: a sliding-window limit lets a first window's worth through at once whatever the pace, so
the first window says nothing about the steady state, while any whole window after it can hold at most
the limit (a pipeline that used the limit fully would score 1.0). The whole-run average, first to last
request, is reported too. The Transform is not part of this measurement: a runner that only records the
job stands in for spark-submit.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Any

from wistia_local.bench.harness import (
    BenchContext,
    RequestSampler,
    pipeline_session,
    ratio,
)
from wistia_local.bench.report import BenchResult, Target
from wistia_local.local_emr import InProcessEmrRunner

NAME = "rate_limit"
WISTIA_PER_MINUTE = 600
RATE_TARGET = Target(">=", 0.9)
REFUSED_TARGET = Target("<", 0.01)
BACKLOG_TARGET = Target(">=", 60.0)


@dataclass(frozen=True)
class Scenario:
    preset: str
    days: int
    scale: float
    """The simulated account's rate over Wistia's (requests per second)."""
    window_seconds: float

    @property
    def per_second(self) -> float:
        return WISTIA_PER_MINUTE / 60.0 * self.scale

    @property
    def limit(self) -> int:
        """Requests the simulator accepts in any window."""
        return round(self.per_second * self.window_seconds)

    @property
    def account_rate_limit(self) -> float:
        """WISTIA_ACCOUNT_RATE_LIMIT for the pipeline (per minute, scaled like the simulator)."""
        return WISTIA_PER_MINUTE * self.scale


FULL = Scenario(preset="standard", days=100, scale=1.0, window_seconds=30.0)
FASTER = Scenario(preset="standard", days=100, scale=2.0, window_seconds=15.0)
QUICK = Scenario(preset="demo", days=30, scale=1.0, window_seconds=3.0)


@dataclass(frozen=True)
class Pace:
    requests: int
    refused: int
    seconds: float
    steady_windows: int
    steady_accepted: int
    peak_window_accepted: int


def measure_pace(samples: list[tuple[float, int, int]], window: float) -> Pace:
    """From (time, requests, of which 429) samples: the run's span, and accepted requests over whole
    windows after the first one, and the most accepted in any one window."""
    if not samples or samples[-1][1] == 0:
        raise ValueError("no request was made")
    total, refused = samples[-1][1], samples[-1][2]
    first = next(t for t, n, _ in samples if n > 0)
    last = next(t for t, n, _ in samples if n == total)
    accepted = [(t, n - r) for t, n, r in samples]

    def accepted_at(moment: float) -> int:
        return max((a for t, a in accepted if t <= moment), default=0)

    windows = math.floor((last - first - window) / window) if last - first > window else 0
    start = first + window
    steady = accepted_at(start + windows * window) - accepted_at(start) if windows > 0 else 0
    peak = 0
    low = 0
    for high in range(len(accepted)):
        while accepted[low][0] < accepted[high][0] - window:
            low += 1
        peak = max(peak, accepted[high][1] - accepted[low][1])
    return Pace(
        requests=total,
        refused=refused,
        seconds=last - first,
        steady_windows=windows,
        steady_accepted=steady,
        peak_window_accepted=peak,
    )


def run(ctx: BenchContext) -> BenchResult:
    result = BenchResult(NAME)
    scenario = QUICK if ctx.quick else FULL
    result.details["main"] = measure(ctx, scenario, result, label="", targets=True)
    if not ctx.quick:
        result.details["faster"] = measure(
            ctx, FASTER, result, label=f"at {FASTER.scale:g}x the rate: ", targets=False
        )
    return result


def measure(
    ctx: BenchContext, scenario: Scenario, result: BenchResult, *, label: str, targets: bool
) -> dict[str, Any]:
    """Run the scenario's backfill and add its figures (with targets, or as context)."""
    ctx.log(
        f"  {scenario.preset} preset: backfill of {scenario.days} days against {scenario.limit} requests per "
        f"{scenario.window_seconds:g} s ({scenario.scale:g}x Wistia's rate)"
    )
    with pipeline_session(
        ctx.workdir(f"rate-{scenario.preset}-{scenario.scale:g}x"),
        preset=scenario.preset,
        rate_limit=scenario.limit,
        rate_window_seconds=scenario.window_seconds,
        environment={"WISTIA_ACCOUNT_RATE_LIMIT": f"{scenario.account_rate_limit:g}"},
    ) as session:
        session.aws.set_emr_runner(
            InProcessEmrRunner(
                workdir=session.pipeline.workdir,
                s3=session.aws.client("s3"),
                log_dir=session.pipeline.workdir.root / "logs",
                record_only=True,
            )
        )
        end = session.sim.now.date() - dt.timedelta(days=1)
        start = end - dt.timedelta(days=scenario.days - 1)
        execution = {"mode": "backfill", "start": start.isoformat(), "end": end.isoformat()}
        client_log = logging.getLogger("wistia_ingest")
        level = client_log.level
        client_log.setLevel(logging.ERROR)  # a WARNING per retry after a 429: counted below instead
        try:
            with RequestSampler(session.sim) as sampler:
                night = session.night(execution, name="bench-backfill")
        finally:
            client_log.setLevel(level)
    if night.status != "SUCCEEDED":
        raise RuntimeError(f"the backfill {night.status}: {night.cause}")
    pace = measure_pace(sampler.samples, scenario.window_seconds)
    accepted = pace.requests - pace.refused
    steady_rate = (
        pace.steady_accepted / (pace.steady_windows * scenario.window_seconds)
        if pace.steady_windows
        else float("nan")
    )
    ctx.log(f"  {pace.requests} requests in {pace.seconds:.0f} s, {pace.refused} answered 429")

    result.add(
        f"{label}achieved rate / limit",
        ratio(steady_rate, scenario.per_second),
        target=RATE_TARGET if targets else None,
        note=f"over {pace.steady_windows} whole {scenario.window_seconds:g}-s windows after the first",
    )
    result.add(
        f"{label}429 share",
        ratio(pace.refused, pace.requests),
        target=REFUSED_TARGET if targets else None,
        note=f"{pace.refused} of {pace.requests}",
    )
    if targets:
        result.add(
            "whole-run rate / limit",
            ratio(accepted / pace.seconds if pace.seconds else float("nan"), scenario.per_second),
            note="first to last request, including the first window and the drain at the end of each Map",
        )
        result.add(
            "busiest window / limit",
            ratio(pace.peak_window_accepted, scenario.limit),
            note="most requests accepted in any one window",
        )
        result.add(
            "backlog at the limit",
            accepted / scenario.per_second,
            unit="s",
            target=BACKLOG_TARGET,
            note="the run's requests at the limit: must exceed a minute for the figures above to hold",
        )
    plan: dict[str, Any] = night.plan
    return {
        "scenario": {
            "preset": scenario.preset,
            "backfill": execution,
            "scale": scenario.scale,
            "window_seconds": scenario.window_seconds,
            "limit_per_window": scenario.limit,
            "limit_per_second": scenario.per_second,
            "WISTIA_ACCOUNT_RATE_LIMIT": scenario.account_rate_limit,
            "map_max_concurrency": (plan.get("map") or {}).get("max_concurrency"),
        },
        "requests": night.requests,
        "pace": pace.__dict__,
        "steady_rate_per_second": steady_rate,
        "whole_run_rate_per_second": accepted / pace.seconds if pace.seconds else None,
        "states": night.state_seconds(),
        "samples": len(sampler.samples),
    }
