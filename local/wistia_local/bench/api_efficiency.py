"""1. API efficiency: requests of a nightly incremental run against the fewest that could learn what changed.

Night 1 is the first (initial) run of a fresh workdir on the `standard` preset; the simulator's clock then
moves a day and night 2 runs incrementally. Both go through the real state machine, handlers and
spark-submit. The simulator counts night 2's requests per route; the lower bound comes from the
simulator's ground truth before and after (bounds.py), not from the pipeline's plan. The simulator's rate
limit is off for these nights (only the count of requests is measured here; rate_limit.py measures the
pace), so no request is a retry after a 429. Night 2's lake is then reconciled against the ground truth
(simulate.py's `reconcile_night`): a saving that lost a row would show as mismatches.

The same two nights give footprint.py the Spark job's peak memory on this preset.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from wistia_local.bench import bounds
from wistia_local.bench.harness import (
    UNLIMITED_RPM,
    BenchContext,
    NightRun,
    ProcessTreeMemory,
    pipeline_session,
    ratio,
)
from wistia_local.bench.report import BenchResult, Target
from wistia_local.simulate import reconcile_night

NAME = "api_efficiency"
TARGET = Target("<=", 1.1)
MIB = 1024 * 1024


def preset_for(ctx: BenchContext) -> str:
    return "demo" if ctx.quick else "standard"


def two_nights(ctx: BenchContext) -> dict[str, Any]:
    """Night 1 and night 2 with their requests, ground truths and Spark memory (run once, then shared)."""
    if "two_nights" in ctx.shared:
        return dict(ctx.shared["two_nights"])
    preset = preset_for(ctx)
    ctx.log(f"  {preset} preset: night 1 (initial) and night 2 (incremental) through the local pipeline")
    nights: dict[str, Any] = {"preset": preset}
    with pipeline_session(
        ctx.workdir(f"api-{preset}"),
        preset=preset,
        environment={"WISTIA_REQUESTS_PER_MINUTE": UNLIMITED_RPM},
    ) as session:
        for number in (1, 2):
            if number == 2:
                session.sim.advance_days(1)
            with ProcessTreeMemory() as memory:
                night = session.night({}, name=f"bench-night-{number}")
            _check(night)
            ctx.log(
                f"  night {number}: {night.status}, {night.requests['total']} requests, {night.seconds:.0f} s"
            )
            nights[f"night{number}"] = night
            nights[f"truth{number}"] = session.sim.ground_truth()
            nights[f"spark_peak_mib{number}"] = memory.peak_bytes / MIB
            nights[f"spark_largest_mib{number}"] = memory.peak_largest_bytes / MIB
        covered_from = dt.date.fromisoformat(nights["night1"].plan["run"]["window"]["start"])
        reconciled = reconcile_night(
            session.pipeline, nights["truth2"], nights["night2"].output, covered_from
        )
        nights["night2_reconciliation"] = reconciled.to_json()
    ctx.shared["two_nights"] = nights
    return nights


def run(ctx: BenchContext) -> BenchResult:
    result = BenchResult(NAME)
    nights = two_nights(ctx)
    night1: NightRun = nights["night1"]
    night2: NightRun = nights["night2"]
    day1 = dt.date.fromisoformat(night1.plan["run"]["run_date"])
    day2 = dt.date.fromisoformat(night2.plan["run"]["run_date"])
    changes = bounds.night_changes(
        nights["truth1"],
        nights["truth2"],
        read_up_to=day1 - dt.timedelta(days=1),
        reading_up_to=day2 - dt.timedelta(days=1),
    )
    # The policy the bound takes as given: a full listing and a visitor snapshot at most weekly.
    policy = {"full_listing": (day2 - day1).days >= 7, "visitor_snapshot_due": (day2 - day1).days >= 7}
    bound = bounds.lower_bound(changes, **policy)
    clairvoyant = bounds.clairvoyant_bound(changes, **policy)
    naive = bounds.naive_full_pull(changes)
    made = {route: int(night2.requests["by_route"].get(route, 0)) for route in bounds.ROUTES}
    unexpected = sorted(set(night2.requests["by_route"]) - set(bounds.ROUTES))
    total = int(night2.requests["total"])

    result.add(
        "night-2 requests", total, note=f"{nights['preset']} preset, incremental night after the first"
    )
    result.add("lower bound", sum(bound.values()), note="fewest requests that learn every change (bounds.py)")
    result.add(
        "requests / lower bound",
        ratio(total, sum(bound.values())),
        target=TARGET,
        note=_excess_note(made, bound),
    )
    reconciliation = nights["night2_reconciliation"]
    result.add(
        "night-2 mismatches",
        reconciliation["mismatches"],
        target=Target("<=", 0),
        note=f"gold tables held to the ground truth: {sum(reconciliation['checked'].values()):,} rows",
    )
    result.add(
        "naive full re-pull",
        sum(naive.values()),
        note="every listing page, 3 calls per media, all events and visitors",
    )
    result.add("requests / naive full re-pull", ratio(total, sum(naive.values())))
    result.add(
        "requests / clairvoyant bound",
        ratio(total, sum(clairvoyant.values())),
        note="context: a reader told which medias changed, so it probes none of the others",
    )
    result.details = {
        "preset": nights["preset"],
        "run_dates": [day1.isoformat(), day2.isoformat()],
        "night1": {
            "requests": night1.requests,
            "seconds": round(night1.seconds, 1),
            "states": night1.state_seconds(),
        },
        "night2": {
            "requests": night2.requests,
            "seconds": round(night2.seconds, 1),
            "states": night2.state_seconds(),
        },
        "night2_plan": {
            "window": night2.plan["run"]["window"],
            "full_sweep": night2.plan.get("full_sweep"),
            "visitors_planned": night2.plan.get("visitors"),
            "visitors_ran": (night2.output or {}).get("visitors", {}).get("mode"),
            "counts": night2.plan.get("counts"),
        },
        "changes": changes.to_json(),
        "night2_reconciliation": reconciliation,
        "policy": policy,
        "by_route": {
            route: {"made": made[route], "lower_bound": bound[route], "excess": made[route] - bound[route]}
            for route in bounds.ROUTES
        },
        "clairvoyant_bound": clairvoyant,
        "naive_full_pull": naive,
        "unexpected_routes": unexpected,
    }
    return result


def _excess_note(made: dict[str, int], bound: dict[str, int]) -> str:
    excess = {route: n for route, n in bounds.excess_by_route(made, bound).items() if n}
    if not excess:
        return "no route above its bound"
    return "excess: " + ", ".join(
        f"{route} {n:+d}" for route, n in sorted(excess.items(), key=lambda kv: -kv[1])
    )


def _check(night: NightRun) -> None:
    if night.status != "SUCCEEDED":
        raise RuntimeError(f"{night.name} {night.status}: {night.cause}")
