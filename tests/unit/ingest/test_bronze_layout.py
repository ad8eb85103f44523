"""The bronze key layout and encoding that the ingestion Lambdas and the Spark job agree on."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from wistia_ingest.bronze import (
    BronzeStore,
    Part,
    WrittenObject,
    encode_json_gz,
    events_day_key,
    media_by_date_key,
    media_engagement_key,
    media_stats_key,
    part_key,
    visitors_by_key_key,
    visitors_snapshot_key,
)
from wistia_ingest.event_ingest import events_unit
from wistia_ingest.media_ingest import media_batch_unit
from wistia_ingest.run_context import RunContext, Window
from wistia_ingest.visitor_ingest import BY_KEY_UNIT, SNAPSHOT_UNIT

BUCKET = "layout-test-bucket"


def ctx_for(run_id: str = "exec-1", **overrides: Any) -> RunContext:
    fields: dict[str, Any] = {
        "run_id": run_id,
        "run_key": "nightly-2026-11-20",
        "mode": "nightly",
        "run_date": dt.date(2026, 11, 20),
        "window": Window(start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 19)),
        "bucket": BUCKET,
        "bronze_prefix": "bronze",
    }
    fields.update(overrides)
    return RunContext(**fields)


def test_keys_by_entity_day_media_and_logical_run() -> None:
    ctx = ctx_for()
    day = dt.date(2026, 11, 18)
    assert media_stats_key(ctx, "abc") == "bronze/media_stats/snapshot_date=2026-11-20/media=abc.json.gz"
    assert (
        media_engagement_key(ctx, "abc")
        == "bronze/media_engagement/snapshot_date=2026-11-20/media=abc.json.gz"
    )
    assert media_by_date_key(ctx, "abc") == "bronze/media_by_date/run=nightly-2026-11-20/media=abc.json.gz"
    assert events_day_key(ctx, day) == "bronze/events/day=2026-11-18/all.json.gz"
    assert events_day_key(ctx, day, "abc") == "bronze/events/day=2026-11-18/media=abc.json.gz"
    assert visitors_snapshot_key(ctx, 3) == "bronze/visitors/snapshot_date=2026-11-20/page=00003.json.gz"
    assert visitors_by_key_key(ctx) == "bronze/visitors_by_key/run=nightly-2026-11-20/visitors.json.gz"
    assert (
        part_key(ctx, "events-2026-11-18")
        == "bronze/_runs/run=nightly-2026-11-20/parts/events-2026-11-18.json"
    )


def test_units_name_what_they_ingested() -> None:
    assert media_batch_unit(3) == "media-batch-00003"
    assert events_unit(dt.date(2026, 11, 18)) == "events-2026-11-18"
    assert events_unit(dt.date(2026, 11, 18), "abc") == "events-2026-11-18-media-abc"
    assert (SNAPSHOT_UNIT, BY_KEY_UNIT) == ("visitors-snapshot", "visitors-by-key")


def test_a_rerun_of_the_same_logical_run_uses_the_same_keys() -> None:
    first, second = ctx_for("exec-1"), ctx_for("exec-2-retry")
    builders = [
        lambda c: media_stats_key(c, "m"),
        lambda c: media_engagement_key(c, "m"),
        lambda c: media_by_date_key(c, "m"),
        lambda c: events_day_key(c, dt.date(2026, 11, 17)),
        lambda c: visitors_snapshot_key(c, 1),
        visitors_by_key_key,
        lambda c: part_key(c, "u"),
    ]
    for build in builders:
        assert build(first) == build(second)
        assert "exec-" not in build(first)  # execution ids never reach a key


def test_event_days_do_not_depend_on_the_run() -> None:
    # a backfill and a nightly run overwrite the same day object instead of adding a second copy
    nightly = ctx_for()
    backfill = ctx_for(run_key="backfill-2026-11-01-2026-11-19", mode="backfill")
    assert events_day_key(nightly, dt.date(2026, 11, 17)) == events_day_key(backfill, dt.date(2026, 11, 17))


def test_encoding_is_byte_identical_and_keeps_payloads_as_received() -> None:
    payload = [{"z": 1, "a": "é", "nested": {"b": None, "a": [1.5, ""]}}]
    body = encode_json_gz(payload)
    assert body == encode_json_gz(copy_of(payload))
    assert body[4:8] == b"\x00\x00\x00\x00"  # gzip mtime 0
    text = gzip.decompress(body).decode("utf-8")
    assert text == '[{"z":1,"a":"é","nested":{"b":null,"a":[1.5,""]}}]'  # key order and unicode as received


def copy_of(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_parts_carry_no_timestamps_and_count_records() -> None:
    part = Part(
        unit="media-batch-00001",
        stream="media",
        objects=[
            WrittenObject(key="k1", entity="media_stats", records=1, media_id="m1"),
            WrittenObject(key="k2", entity="media_by_date", records=4, media_id="m1"),
        ],
        failed=[{"media_id": "m2", "error": "ServerError", "message": "GET ... -> 500"}],
        gone=["m3"],
    )
    body = part.to_json()
    assert set(body) == {"unit", "stream", "objects", "failed", "gone", "records"}
    assert body["records"] == 5
    assert set(body["objects"][0]) == {"key", "entity", "records", "media_id", "day", "basis", "carried_from"}


@pytest.fixture
def store() -> Iterator[BronzeStore]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield BronzeStore(s3, BUCKET)


def test_store_round_trip_overwrite_list_and_delete(store: BronzeStore) -> None:
    ctx = ctx_for()
    key = events_day_key(ctx, dt.date(2026, 11, 18))
    store.put_json_gz(key, [{"event_key": "a"}])
    store.put_json_gz(key, [{"event_key": "b"}])
    assert store.get_json(key) == [{"event_key": "b"}]
    part = Part(
        unit="events-2026-11-18",
        stream="events",
        objects=[WrittenObject(key=key, entity="events", records=1)],
    )
    written = store.write_part(ctx, part)
    assert written == part_key(ctx, "events-2026-11-18")
    assert store.read_parts(ctx) == [part.to_json()]
    assert store.list_keys("bronze/") == sorted([key, written])
    store.delete_keys([key, "bronze/not/there.json.gz"])
    assert store.list_keys("bronze/events/") == []
