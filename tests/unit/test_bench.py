"""The benchmark suite's pure parts: lower-bound arithmetic, pace measurement, breakdowns, the report.

No benchmark runs here and nothing is timed: the figures themselves come from `wistia-pipeline bench`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import pytest

from wistia_local import bench_command, cli
from wistia_local.bench import bounds, end_to_end, incremental_cost, local_jvm, rate_limit
from wistia_local.bench.report import BenchResult, Figure, Target, format_value, markdown_table
from wistia_local.bench.runner import BENCHMARKS, results_stem
from wistia_local.local_emr import LOCAL_JAVA_OPTIONS

D = dt.date(2026, 11, 20)


@pytest.mark.parametrize(("records", "pages"), [(0, 1), (1, 1), (99, 1), (100, 2), (101, 2), (250, 3)])
def test_pages_to_read_include_the_short_page_that_ends_the_feed(records: int, pages: int) -> None:
    assert bounds.pages_to_read(records) == pages


def test_pages_to_read_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        bounds.pages_to_read(-1)


def media(media_id: str, updated: str, *, deleted: bool = False) -> dict[str, Any]:
    return {"hashed_id": media_id, "updated": updated, "deleted": deleted}


def event(key: str, day: str) -> dict[str, Any]:
    return {"event_key": key, "received_at": f"{day}T10:00:00.000Z"}


def truth(
    medias: list[dict[str, Any]],
    stats: dict[str, tuple[int, int]],
    events: list[dict[str, Any]],
    visitors: dict[str, int],
) -> dict[str, Any]:
    return {
        "medias": medias,
        "media_stats": {m: {"load_count": loads, "play_count": plays} for m, (loads, plays) in stats.items()},
        "events": events,
        "visitors": [{"visitor_key": key, "load_count": n} for key, n in visitors.items()],
    }


BEFORE = truth(
    [
        media("a", "2026-11-18T00:00:00+00:00"),
        media("b", "2026-11-19T05:00:00+00:00"),
        media("c", "2026-11-01"),
    ],
    {"a": (10, 5), "b": (3, 1), "c": (7, 7)},
    [event("e1", "2026-11-17"), event("e2", "2026-11-19"), event("e3", "2026-11-20")],  # e3: the open day
    {"v1": 1, "v2": 2},
)
AFTER = truth(
    [
        media("a", "2026-11-18T00:00:00+00:00"),  # a load-only impression: loads move, plays do not
        media("b", "2026-11-20T01:00:00+00:00"),  # renamed and played
        media("c", "2026-11-01", deleted=True),
        media("d", "2026-11-20T03:00:00Z"),  # new
        media("e", "2026-11-10T00:00:00+00:00"),  # existed, did nothing (not known before: new to the bound)
    ],
    {"a": (11, 5), "b": (5, 2), "d": (0, 0), "e": (4, 4)},
    [
        event("e1", "2026-11-17"),
        event("late", "2026-11-18"),  # a late arrival on a day already read
        event("e2", "2026-11-19"),
        event("e3", "2026-11-20"),
        event("e4", "2026-11-20"),
        event("e5", "2026-11-21"),  # tonight's open day: not read
    ],
    {"v1": 1, "v2": 3, "v3": 1},
)


def changes() -> bounds.NightChanges:
    return bounds.night_changes(
        BEFORE, AFTER, read_up_to=dt.date(2026, 11, 19), reading_up_to=dt.date(2026, 11, 20)
    )


def test_night_changes_come_from_the_two_truths() -> None:
    found = changes()

    assert found.existing_medias == 4
    assert found.medias_updated_since_watermark == 2  # b and d are at or after b's old `updated`
    assert found.new_medias == 2  # d, and e which the earlier truth did not list
    assert found.medias_with_new_records == 4  # a (a load), b, and the new d and e
    assert found.medias_with_new_plays == 3  # b, d, e: a's plays did not move
    assert found.events_by_day == {"2026-11-18": 1, "2026-11-20": 2}
    assert found.changed_event_days == ["2026-11-18"]
    assert found.total_events == 6
    assert (found.visitors, found.visitors_changed) == (3, 2)


def test_the_lower_bound_reads_only_what_changed() -> None:
    bound = bounds.lower_bound(changes(), full_listing=False, visitor_snapshot_due=False)

    assert bound == {
        bounds.LISTING: 1,
        bounds.STATS: 4,  # every existing media is probed
        bounds.ENGAGEMENT: 3,
        bounds.BY_DATE: 4,
        bounds.EVENTS: 2,  # one page per day to read
        bounds.VISITOR_PAGES: 1,  # one snapshot page is cheaper than 2 reads by key
        bounds.VISITOR_BY_KEY: 0,
    }


def test_visitors_cost_the_cheaper_of_per_key_reads_and_a_snapshot() -> None:
    few = bounds.lower_bound(changes(), full_listing=False, visitor_snapshot_due=False)
    due = bounds.lower_bound(changes(), full_listing=True, visitor_snapshot_due=True)

    # 2 changed visitors by key cost 2; a snapshot of 3 visitors costs 1 page: the snapshot wins.
    assert (few[bounds.VISITOR_PAGES], few[bounds.VISITOR_BY_KEY]) == (1, 0)
    assert (due[bounds.VISITOR_PAGES], due[bounds.VISITOR_BY_KEY]) == (1, 0)
    assert due[bounds.LISTING] == 1  # a full listing of 4 medias is one page


def test_per_key_reads_win_when_few_of_many_visitors_changed() -> None:
    many = bounds.NightChanges(
        existing_medias=1,
        medias_updated_since_watermark=0,
        new_medias=0,
        medias_with_new_records=0,
        medias_with_new_plays=0,
        medias_with_changed_stats=0,
        events_by_day={"2026-11-19": 250},
        changed_event_days=[],
        total_events=250,
        visitors=1000,
        visitors_changed=7,
    )
    bound = bounds.lower_bound(many, full_listing=False, visitor_snapshot_due=False)

    assert (bound[bounds.VISITOR_PAGES], bound[bounds.VISITOR_BY_KEY]) == (0, 7)
    assert bound[bounds.EVENTS] == 3
    assert bounds.lower_bound(many, full_listing=False, visitor_snapshot_due=True)[bounds.VISITOR_PAGES] == 11


def test_naive_and_clairvoyant_bounds() -> None:
    found = changes()

    naive = bounds.naive_full_pull(found)
    clairvoyant = bounds.clairvoyant_bound(found, full_listing=False, visitor_snapshot_due=False)

    assert naive == {
        bounds.LISTING: 1,
        bounds.STATS: 4,
        bounds.ENGAGEMENT: 4,
        bounds.BY_DATE: 4,
        bounds.EVENTS: 1,
        bounds.VISITOR_PAGES: 1,
        bounds.VISITOR_BY_KEY: 0,
    }
    assert clairvoyant[bounds.STATS] == found.medias_with_changed_stats == 4


def test_excess_by_route_is_made_minus_bound() -> None:
    excess = bounds.excess_by_route({bounds.STATS: 10, bounds.EVENTS: 2}, {bounds.STATS: 7, bounds.EVENTS: 3})

    assert excess[bounds.STATS] == 3 and excess[bounds.EVENTS] == -1 and excess[bounds.LISTING] == 0


# -- rate limit: pace from the simulator's counters -----------------------------------------------------


def test_pace_counts_whole_windows_after_the_first() -> None:
    # 10 requests a second for 35 s, with 2 of them refused at t=5; windows of 10 s.
    samples = [(float(t), 10 * t + (2 if t >= 5 else 0), 2 if t >= 5 else 0) for t in range(1, 36)]
    samples.insert(0, (0.0, 0, 0))

    pace = rate_limit.measure_pace(samples, window=10.0)

    assert pace.requests == 352 and pace.refused == 2
    assert pace.seconds == 34.0  # first request seen at t=1, the last count reached at t=35
    assert pace.steady_windows == 2  # [11, 31]: two whole windows after the first
    assert pace.steady_accepted == 200
    assert pace.peak_window_accepted == 100


def test_pace_needs_requests() -> None:
    with pytest.raises(ValueError, match="no request"):
        rate_limit.measure_pace([(0.0, 0, 0)], window=1.0)


@pytest.mark.parametrize(
    ("scenario", "per_second", "limit", "account_rate_limit"),
    [(rate_limit.FULL, 10.0, 300, 600.0), (rate_limit.FASTER, 20.0, 300, 1200.0)],
)
def test_scenarios_scale_the_simulator_and_the_pipeline_alike(
    scenario: rate_limit.Scenario, per_second: float, limit: int, account_rate_limit: float
) -> None:
    assert (scenario.per_second, scenario.limit, scenario.account_rate_limit) == (
        per_second,
        limit,
        account_rate_limit,
    )


# -- incremental cost and end to end ----------------------------------------------------------------------


def test_lakes_alternate_so_drift_falls_on_both() -> None:
    assert incremental_cost.alternating(30, 365, 2) == [30, 365, 365, 30]
    assert incremental_cost.alternating(7, 30, 1) == [7, 30]


def test_each_merge_night_updates_some_keys_of_the_night_before_and_adds_new_ones() -> None:
    nights = [set(local_jvm.night_keys(night)) for night in range(4)]

    assert len(nights[0]) == local_jvm.FIRST_ROWS
    for before, tonight in itertools.pairwise(nights):
        assert len(tonight) == local_jvm.NIGHT_ROWS
        assert len(tonight & before) == local_jvm.NIGHT_OVERLAP
        assert not (tonight - before) & set().union(*nights[: nights.index(before)])


def test_the_jvm_flags_run_in_an_order_that_spreads_drift() -> None:
    order = local_jvm.run_order()

    assert order == order[::-1] and set(order) == {local_jvm.DEFAULT_OPTIONS, LOCAL_JAVA_OPTIONS}


def test_end_to_end_split_adds_up_to_the_wall_time() -> None:
    timings = {
        "executions": [
            {
                "name": "night",
                "status": "SUCCEEDED",
                "states": [
                    {"name": "Plan", "seconds": 1.0},
                    {"name": "IngestMedia", "seconds": 4.0},
                    {"name": "IngestEvents", "seconds": 2.0},
                    {"name": "IngestVisitors", "seconds": 1.0},
                    {"name": "Transform", "seconds": 30.0},
                    {"name": "Commit", "seconds": 0.5},
                ],
            }
        ],
        "spark_submit": [{"name": "night", "seconds": 29.0}],
    }

    split = end_to_end.split(timings, {"night": 20.0}, wall=45.0)

    assert split["parts"] == {
        "ingestion": 8.0,
        "spark_start_and_stop": 9.0,
        "merges": 20.0,
        "rest_of_run": 1.5,
        "set_up_and_wrap_up": 6.5,
    }
    assert math.isclose(sum(split["parts"].values()), 45.0)


# -- the report ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        (Target("<=", 1.1), 1.1, True),
        (Target("<=", 1.1), 1.2, False),
        (Target("<", 0.01), 0.01, False),
        (Target(">=", 0.9), 0.95, True),
        (Target(">=", 0.9), float("nan"), False),
    ],
)
def test_targets(target: Target, value: float, met: bool) -> None:
    assert Figure("x", value, target=target).met is met


def test_a_figure_without_target_is_context() -> None:
    assert Figure("x", 3.0).met is None


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1198, "", "1,198"),
        (1.0833, "", "1.083"),
        (45.27, "s", "45.3 s"),
        (float("nan"), "", "n/a"),
        (3.0, "", "3.000"),
    ],
)
def test_format_value(value: float, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_markdown_table_marks_met_missed_and_errors() -> None:
    ok = BenchResult("api")
    ok.add("ratio", 1.05, target=Target("<=", 1.1), note="a | b")
    ok.add("requests", 1198)
    bad = BenchResult("rate")
    bad.add("429 share", 0.02, target=Target("<", 0.01))
    broken = BenchResult("e2e", error="RuntimeError: boom")

    table = markdown_table([ok, bad, broken]).splitlines()

    assert table[2] == "| api | ratio | 1.050 | <= 1.1 | met | a \\| b |"
    assert table[3] == "| api | requests | 1,198 |  |  |  |"
    assert table[4] == "| rate | 429 share | 0.020 | < 0.01 | **missed** |  |"
    assert table[5] == "| e2e | (failed) | | | **error** | RuntimeError: boom |"


def test_the_command_is_registered_and_names_every_benchmark() -> None:
    args = cli.build_parser().parse_args(["bench", "--only", "rate_limit", "--only", "footprint", "--quick"])

    assert args.func is bench_command.run
    assert args.only == ["rate_limit", "footprint"] and args.quick
    assert set(bench_command.NAMES) == set(BENCHMARKS)


def test_a_partial_or_quick_run_never_overwrites_the_full_runs_results() -> None:
    started = dt.datetime(2026, 11, 22, 4, 3, tzinfo=dt.UTC)
    everything = list(BENCHMARKS)

    assert results_stem(started, everything, quick=False) == "2026-11-22"
    assert results_stem(started, everything, quick=True) == "2026-11-22-quick"
    assert results_stem(started, ["rate_limit", "api_efficiency"], quick=False) == (
        "2026-11-22-api_efficiency-rate_limit"
    )
