"""ingest_visitors against the demo simulator and moto: snapshot, stale pages, per-key reads, skip."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from support.lake import read_objects
from support.lambda_context import FakeLambdaContext
from wistia_ingest import aws, visitor_ingest
from wistia_ingest.bronze import (
    Part,
    WrittenObject,
    events_day_key,
    visitors_by_key_key,
    visitors_snapshot_key,
)
from wistia_ingest.handlers import ingest_events, ingest_visitors
from wistia_ingest.handlers._common import InvalidEventError
from wistia_ingest.pii import HASH_PREFIX
from wistia_ingest.run_context import RunContext
from wistia_ingest.runtime import Runtime
from wistia_simulator import WistiaSimulator

MakeCtx = Callable[..., RunContext]


def invoke(ctx: RunContext) -> dict[str, Any]:
    result = ingest_visitors.handler({"run": ctx.model_dump(mode="json")}, FakeLambdaContext())
    assert len(json.dumps(result)) < 4096
    return result


def s3_objects() -> dict[str, bytes]:
    return read_objects(aws.client("s3"))


def without_identity(visitor: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in visitor.items() if name != "visitor_identity"}


def assert_identity_protected(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert without_identity(got) == without_identity(want)
    for field in ("name", "email"):
        value, raw = got["visitor_identity"].get(field), want["visitor_identity"].get(field)
        if raw in (None, ""):
            assert value == raw
        else:
            assert value.startswith(HASH_PREFIX) and len(value) == len(HASH_PREFIX) + 64
    org, raw_org = got["visitor_identity"].get("org"), want["visitor_identity"].get("org")
    if isinstance(raw_org, dict):
        for field, raw in raw_org.items():
            assert org[field] == raw if raw in (None, "") else org[field].startswith(HASH_PREFIX)


def test_snapshot_holds_every_visitor_in_api_order_with_identities_protected(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx(visitors="snapshot")
    truth = sim.ground_truth()["visitors"]

    result = invoke(ctx)

    pages = (len(truth) + 99) // 100
    assert result["mode"] == "snapshot"
    assert result["unit"] == "visitors-snapshot"
    assert result["records"] == len(truth)
    assert result["pages"] == pages
    stored = [v for page in range(1, pages + 1) for v in rt.bronze.get_json(visitors_snapshot_key(ctx, page))]
    assert [v["visitor_key"] for v in stored] == [v["visitor_key"] for v in truth]
    assert any(v["visitor_identity"].get("email") for v in truth)
    for got, want in zip(stored, truth, strict=True):
        assert_identity_protected(got, want)
    [part] = rt.bronze.read_parts(ctx)
    assert part["stream"] == "visitors"
    assert [obj["key"] for obj in part["objects"]] == [
        visitors_snapshot_key(ctx, n) for n in range(1, pages + 1)
    ]


def test_snapshot_rerun_is_byte_identical_and_stale_pages_are_deleted(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx(visitors="snapshot")
    stale = visitors_snapshot_key(ctx, 9)
    other_day = visitors_snapshot_key(make_ctx(run_date=ctx.run_date - dt.timedelta(days=1)), 9)
    rt.bronze.put_json_gz(stale, [{"visitor_key": "left-over"}])
    rt.bronze.put_json_gz(other_day, [{"visitor_key": "an older snapshot"}])

    invoke(ctx)
    first = s3_objects()
    assert stale not in first
    assert other_day in first  # only the same snapshot date is cleaned
    invoke(ctx)
    assert s3_objects() == first


def test_by_key_reads_only_the_visitors_seen_in_this_runs_events(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx(visitors="by_key")
    day = ctx.window.end
    event = {"run": ctx.model_dump(mode="json"), "day": day.isoformat()}
    assert ingest_events.handler(event, FakeLambdaContext())["visitor_keys"] > 0
    truth = sim.ground_truth()
    seen = sorted({e["visitor_key"] for e in truth["events"] if e["received_at"][:10] == day.isoformat()})
    sim.reset_stats()

    result = invoke(ctx)

    assert result["mode"] == "by_key"
    assert result["unit"] == "visitors-by-key"
    assert result["lookups"] == len(seen) == result["records"]
    assert result["not_found"] == 0
    by_route = sim.stats()["by_route"]
    assert by_route == {"/stats/visitors/{key}": len(seen)}
    stored = rt.bronze.get_json(visitors_by_key_key(ctx))
    assert [v["visitor_key"] for v in stored] == seen
    truth_by_key = {v["visitor_key"]: v for v in truth["visitors"]}
    for got in stored:
        assert_identity_protected(got, truth_by_key[got["visitor_key"]])
    assert {part["unit"] for part in rt.bronze.read_parts(ctx)} == {f"events-{day}", "visitors-by-key"}


def test_by_key_skips_unknown_visitors_and_falls_back_to_a_snapshot_when_too_many(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = make_ctx(visitors="by_key")
    known = sim.ground_truth()["visitors"][0]["visitor_key"]
    day = ctx.window.end
    key = events_day_key(ctx, day)
    rt.bronze.put_json_gz(
        key, [{"visitor_key": known}, {"visitor_key": "no-such-visitor"}, {"visitor_key": known}]
    )
    part = Part(
        unit=f"events-{day}", stream="events", objects=[WrittenObject(key=key, entity="events", records=3)]
    )
    rt.bronze.write_part(ctx, part)

    result = invoke(ctx)
    assert (result["mode"], result["lookups"], result["records"], result["not_found"]) == ("by_key", 2, 1, 1)
    assert [v["visitor_key"] for v in rt.bronze.get_json(visitors_by_key_key(ctx))] == [known]

    monkeypatch.setattr(visitor_ingest, "MAX_BY_KEY_READS", 1)
    result = invoke(ctx)
    assert result["mode"] == "snapshot"
    assert result["records"] == len(sim.ground_truth()["visitors"])
    units = {p["unit"] for p in rt.bronze.read_parts(ctx)}
    assert units == {f"events-{day}", "visitors-snapshot"}  # the by-key part of the earlier attempt is gone


@pytest.mark.parametrize(("last_snapshot_pages", "mode"), [(4, "by_key"), (3, "snapshot"), (0, "by_key")])
def test_by_key_takes_a_snapshot_when_the_last_one_had_no_more_pages_than_the_lookups(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime, last_snapshot_pages: int, mode: str
) -> None:
    ctx = make_ctx(visitors="by_key")
    keys = [v["visitor_key"] for v in sim.ground_truth()["visitors"][:3]]
    day = ctx.window.end
    events_key = events_day_key(ctx, day)
    rt.bronze.put_json_gz(events_key, [{"visitor_key": key} for key in keys])
    objects = [WrittenObject(key=events_key, entity="events", records=3)]
    rt.bronze.write_part(ctx, Part(unit=f"events-{day}", stream="events", objects=objects))
    last = make_ctx(run_date=ctx.run_date - dt.timedelta(days=3))
    for page in range(1, last_snapshot_pages + 1):  # none: no price known, per-key reads as planned
        rt.bronze.put_json_gz(visitors_snapshot_key(last, page), [])
    rt.state.advance_watermark("visitors", last.run_date.isoformat(), run_id="earlier")

    assert invoke(ctx)["mode"] == mode


def test_skip_reads_and_writes_nothing(sim: WistiaSimulator, make_ctx: MakeCtx) -> None:
    result = invoke(make_ctx(visitors="skip"))
    assert result["mode"] == "skip"
    assert result["records"] == 0
    assert s3_objects() == {}
    assert sim.stats()["total"] == 0


def test_a_malformed_event_is_refused(sim: WistiaSimulator, make_ctx: MakeCtx) -> None:
    run = make_ctx().model_dump(mode="json")
    run["visitors"] = "sometimes"
    with pytest.raises(InvalidEventError, match=r"run.*visitors"):
        ingest_visitors.handler({"run": run}, FakeLambdaContext())
    assert s3_objects() == {}
    assert sim.stats()["total"] == 0
