"""ingest_events against the demo simulator and moto: complete days, PII, re-runs, bad input, failed pages."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from support.lake import read_objects
from support.lambda_context import FakeLambdaContext
from wistia_ingest import aws
from wistia_ingest.bronze import events_day_key, part_key
from wistia_ingest.client import WistiaClient
from wistia_ingest.errors import ServerError
from wistia_ingest.event_ingest import EventDayError, events_unit, ingest_events_day, received_day
from wistia_ingest.handlers import ingest_events
from wistia_ingest.handlers._common import InvalidEventError
from wistia_ingest.media_ingest import MediaBatch, ingest_media_batch
from wistia_ingest.pii import HASH_PREFIX
from wistia_ingest.run_context import RunContext, Window
from wistia_ingest.runtime import Runtime
from wistia_ingest.visitor_ingest import ingest_visitors
from wistia_simulator import FaultProfile, WistiaSimulator

MakeCtx = Callable[..., RunContext]
PII_EVENT_FIELDS = {"ip", "email", "conversion_data", "embed_url"}


def event_for(ctx: RunContext, day: dt.date | str, **extra: Any) -> dict[str, Any]:
    return {"run": ctx.model_dump(mode="json"), "day": str(day), **extra}


def truth_events_of(truth: dict[str, Any], day: dt.date) -> list[dict[str, Any]]:
    return [event for event in truth["events"] if event["received_at"][:10] == day.isoformat()]


def s3_objects() -> dict[str, bytes]:
    return read_objects(aws.client("s3"))


def assert_protected(value: Any) -> None:
    assert value is None or value == "" or (isinstance(value, str) and value.startswith(HASH_PREFIX)), value


def test_each_window_day_holds_exactly_that_days_events_protected(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx()
    truth = sim.ground_truth()
    for day in ctx.window.days():
        result = ingest_events.handler(event_for(ctx, day), FakeLambdaContext())
        expected = truth_events_of(truth, day)
        assert expected, f"the demo account has events on {day}"
        assert len(json.dumps(result)) < 4096
        assert result == {
            "unit": f"events-{day}",
            "day": day.isoformat(),
            "records": len(expected),
            "pages": (len(expected) + 99) // 100,
            # a short first page is confirmed by one more request (the server's page size is unknown)
            "requests": (len(expected) // 100) + 1 + (len(expected) < 100),
            "visitor_keys": len({event["visitor_key"] for event in expected}),
            "spread": {"before": 0, "on": len(expected), "after": 0, "far": 0, "unreadable": 0},
        }

        stored = rt.bronze.get_json(events_day_key(ctx, day))
        assert [e["event_key"] for e in stored] == [e["event_key"] for e in expected]  # order as received
        for got, want in zip(stored, expected, strict=True):
            assert {k: v for k, v in got.items() if k not in PII_EVENT_FIELDS} == {
                k: v for k, v in want.items() if k not in PII_EVENT_FIELDS
            }
            assert_protected(got["ip"])
            assert got["ip"] is not None  # every event has an IP, so it is hashed, not dropped
            assert_protected(got["email"])
            assert (got["email"] is None) == (want["email"] is None)
            if isinstance(want["conversion_data"], dict):
                assert set(got["conversion_data"]) == set(want["conversion_data"])
                for value in got["conversion_data"].values():
                    assert_protected(value)
            else:
                assert got["conversion_data"] == want["conversion_data"]

    parts = rt.bronze.read_parts(ctx)
    assert [part["unit"] for part in parts] == [f"events-{day}" for day in ctx.window.days()]
    assert all(part["stream"] == "events" for part in parts)
    assert {obj["key"] for part in parts for obj in part["objects"]} == {
        events_day_key(ctx, day) for day in ctx.window.days()
    }


def test_no_raw_ip_email_or_name_lands_anywhere_in_bronze(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx(visitors="snapshot")
    truth = sim.ground_truth()
    for day in ctx.window.days():
        ingest_events.handler(event_for(ctx, day), FakeLambdaContext())
    live = [media["hashed_id"] for media in truth["medias"] if not media["deleted"]]
    with rt.wistia() as client:
        batch = MediaBatch.model_validate({"index": 0, "medias": [{"id": media_id} for media_id in live]})
        ingest_media_batch(client=client, bronze=rt.bronze, ctx=ctx, batch=batch)
        ingest_visitors(client=client, bronze=rt.bronze, pii=rt.pii, ctx=ctx)

    window_events = [e for day in ctx.window.days() for e in truth_events_of(truth, day)]
    secrets: set[str] = set()
    for event in window_events:
        secrets.update(value for value in (event["ip"], event["email"]) if value)
        if isinstance(event["conversion_data"], dict):
            secrets.update(str(value) for value in event["conversion_data"].values() if value)
    for visitor in truth["visitors"]:
        identity = visitor.get("visitor_identity") or {}
        secrets.update(value for value in (identity.get("name"), identity.get("email")) if value)
    assert any("@" in secret for secret in secrets) and any(secret.count(".") == 3 for secret in secrets)
    secrets = {secret for secret in secrets if len(secret) >= 7}  # first names alone are common words

    objects = s3_objects()
    assert len(objects) > 30
    text = "\n".join(
        (gzip.decompress(body) if key.endswith(".gz") else body).decode("utf-8")
        for key, body in objects.items()
    )
    leaked = sorted(secret for secret in secrets if secret in text)
    assert leaked == []


def test_rerunning_a_day_writes_identical_objects_and_no_extras(
    sim: WistiaSimulator, make_ctx: MakeCtx
) -> None:
    ctx = make_ctx()
    day = ctx.window.end
    ingest_events.handler(event_for(ctx, day), FakeLambdaContext())
    first = s3_objects()
    assert set(first) == {events_day_key(ctx, day), part_key(ctx, f"events-{day}")}
    ingest_events.handler(event_for(ctx, day), FakeLambdaContext())
    assert s3_objects() == first


def test_a_media_filtered_day_has_its_own_key_and_unit(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx()
    day = ctx.window.end
    expected = truth_events_of(sim.ground_truth(), day)
    media_id = expected[0]["media_id"]
    result = ingest_events.handler(event_for(ctx, day, media_id=media_id), FakeLambdaContext())
    assert result["unit"] == f"events-{day}-media-{media_id}"
    stored = rt.bronze.get_json(events_day_key(ctx, day, media_id))
    assert [e["event_key"] for e in stored] == [e["event_key"] for e in expected if e["media_id"] == media_id]


@pytest.mark.parametrize(
    ("make_event", "error", "match"),
    [
        (lambda ctx: event_for(ctx, ctx.window.start - dt.timedelta(days=1)), EventDayError, "outside run"),
        (lambda ctx: event_for(ctx, ctx.run_date), EventDayError, "not closed"),
        (lambda ctx: event_for(ctx, "2026/11/18"), InvalidEventError, "YYYY-MM-DD"),
        (lambda ctx: event_for(ctx, "2026-02-30"), InvalidEventError, "not a calendar day"),
        (lambda ctx: {**event_for(ctx, "2026-11-18"), "day": 20261118}, InvalidEventError, "got int"),
        (lambda ctx: {"run": event_for(ctx, "2026-11-18")["run"]}, InvalidEventError, "'day'"),
        (lambda ctx: {"day": "2026-11-18"}, InvalidEventError, "no 'run' field"),
        (lambda ctx: event_for(ctx, "2026-11-18", media_id="a/b"), InvalidEventError, "media_id"),
        (
            lambda ctx: {**event_for(ctx, "2026-11-18"), "run": {**ctx.model_dump(mode="json"), "mode": "x"}},
            InvalidEventError,
            "run.*mode",
        ),
    ],
)
def test_invalid_days_and_malformed_events_fail_clearly_and_write_nothing(
    sim: WistiaSimulator,
    make_ctx: MakeCtx,
    make_event: Callable[[RunContext], dict[str, Any]],
    error: type[Exception],
    match: str,
) -> None:
    # a window reaching the run date, so "not closed" is checked on its own
    ctx = make_ctx(window=Window(start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 20)))
    with pytest.raises(error, match=match) as caught:
        ingest_events.handler(make_event(ctx), FakeLambdaContext())
    assert isinstance(caught.value, ValueError)
    assert s3_objects() == {}
    assert sim.stats()["total"] == 0  # refused before any API call


def test_a_page_that_keeps_failing_mid_day_writes_nothing(
    sim: WistiaSimulator, make_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = make_ctx()
    day = dt.date(2026, 11, 18)
    assert len(truth_events_of(sim.ground_truth(), day)) > 100  # at least two pages
    original = WistiaClient.iter_event_pages

    def break_after_first_page(self: WistiaClient, **kwargs: Any) -> Iterator[list[dict[str, Any]]]:
        for number, page in enumerate(original(self, **kwargs), start=1):
            yield page
            if number == 1:
                sim.set_faults(FaultProfile.parse("http_500@/stats/events=1.0"))

    monkeypatch.setattr(WistiaClient, "iter_event_pages", break_after_first_page)
    with pytest.raises(ServerError, match="gave up after 3 attempts"):
        ingest_events.handler(event_for(ctx, day), FakeLambdaContext())
    assert sim.stats()["by_route"]["/stats/events"] == 4  # page 1, then page 2 three times
    assert s3_objects() == {}


class _StubClient:
    """Answers a day's query with what a misbehaving API might return."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.stats = type("Stats", (), {"requests_sent": 1})()

    def iter_event_pages(self, **_: Any) -> Iterator[list[dict[str, Any]]]:
        yield self.events


def test_a_day_bucket_keeps_events_of_other_days_and_counts_where_they_fall(
    make_ctx: MakeCtx, rt: Runtime
) -> None:
    # An account-timezone bucket holds events of a neighbouring UTC day; a bad record has no time at all.
    ctx = make_ctx()
    day = ctx.window.end
    events = [
        {"event_key": "k3", "received_at": f"{day + dt.timedelta(days=1)}T03:00:00Z", "ip": "10.1.2.2"},
        {"event_key": "k2", "received_at": f"{day}T10:00:00.000Z", "ip": "10.1.2.3"},
        {"event_key": "k1", "received_at": f"{day - dt.timedelta(days=1)}T23:59:59Z", "ip": "10.1.2.4"},
        {"event_key": "k0", "ip": "10.1.2.5"},
    ]
    result = ingest_events_day(client=_StubClient(events), bronze=rt.bronze, pii=rt.pii, ctx=ctx, day=day)  # type: ignore[arg-type]
    assert result["records"] == 4
    assert result["spread"] == {"before": 1, "on": 1, "after": 1, "far": 0, "unreadable": 1}
    written = rt.bronze.get_json(events_day_key(ctx, day))
    # All written: the Transform files each under its own day and quarantines the one without a time.
    assert [e["event_key"] for e in written] == ["k3", "k2", "k1", "k0"]
    assert "10.1.2" not in json.dumps(written)
    part = rt.bronze.get_json(f"{ctx.parts_prefix}{events_unit(day)}.json")
    assert part["spread"] == result["spread"]


def test_repeats_across_pages_are_dropped_keeping_the_first(make_ctx: MakeCtx, rt: Runtime) -> None:
    ctx = make_ctx()
    day = ctx.window.end
    first = {"event_key": "b", "received_at": f"{day}T10:00:00Z", "visitor_key": "v1"}
    events = [first, {"event_key": "a", "received_at": f"{day}T09:00:00Z", "visitor_key": "v2"}, dict(first)]
    result = ingest_events_day(client=_StubClient(events), bronze=rt.bronze, pii=rt.pii, ctx=ctx, day=day)  # type: ignore[arg-type]
    assert result["records"] == 2
    assert result["visitor_keys"] == 2
    assert [e["event_key"] for e in rt.bronze.get_json(events_day_key(ctx, day))] == ["b", "a"]


@pytest.mark.parametrize(
    ("stamp", "day"),
    [
        ("2014-01-27T22:42:53Z", dt.date(2014, 1, 27)),
        ("2025-10-17T17:24:53.000Z", dt.date(2025, 10, 17)),
        ("2025-10-17T23:30:00-02:00", dt.date(2025, 10, 18)),
        ("2025-10-17T01:00:00+00:00", dt.date(2025, 10, 17)),
        ("not a time", None),
        (None, None),
    ],
)
def test_received_day_reads_every_timestamp_shape_in_utc(stamp: Any, day: dt.date | None) -> None:
    assert received_day({"received_at": stamp}) == day


def test_logs_carry_run_keys_and_no_personal_data(
    sim: WistiaSimulator, make_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = make_ctx()
    day = ctx.window.end
    stream = io.StringIO()
    monkeypatch.setattr(ingest_events.logger.registered_handler, "stream", stream)
    ingest_events.handler(event_for(ctx, day), FakeLambdaContext())
    logged = stream.getvalue()
    records = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    assert records, "the handler logs a structured summary"
    assert all(r["run_id"] == ctx.run_id and r["day"] == day.isoformat() for r in records)
    for event in truth_events_of(sim.ground_truth(), day):
        assert event["ip"] not in logged
        assert not event["email"] or event["email"] not in logged
    assert "integration-token" not in logged
