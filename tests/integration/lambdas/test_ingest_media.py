"""ingest_media against the demo simulator and moto: what lands in bronze, re-runs, failures, bad input."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from support.lake import read_objects
from support.lambda_context import FakeLambdaContext
from wistia_ingest import aws
from wistia_ingest.bronze import media_by_date_key, media_engagement_key, media_stats_key, part_key
from wistia_ingest.errors import AuthenticationError
from wistia_ingest.handlers import ingest_media
from wistia_ingest.handlers._common import InvalidEventError
from wistia_ingest.media_ingest import MediaBatch, by_date_start, ingest_media_batch
from wistia_ingest.run_context import RunContext
from wistia_ingest.runtime import Runtime
from wistia_simulator import FaultProfile, WistiaSimulator

MakeCtx = Callable[..., RunContext]


def live_media_ids(sim: WistiaSimulator) -> list[str]:
    return [media["hashed_id"] for media in sim.ground_truth()["medias"] if not media["deleted"]]


def event_for(ctx: RunContext, index: int, media_ids: list[str], since: str | None = None) -> dict[str, Any]:
    medias = [{"id": media_id, "since": since} for media_id in media_ids]
    return {"run": ctx.model_dump(mode="json"), "batch": {"index": index, "medias": medias}}


def run_all(ctx: RunContext, media_ids: list[str], size: int = 3) -> list[dict[str, Any]]:
    results = []
    for index, start in enumerate(range(0, len(media_ids), size)):
        event = event_for(ctx, index, media_ids[start : start + size])
        result = ingest_media.handler(event, FakeLambdaContext())
        assert len(json.dumps(result)) < 4096
        results.append(result)
    return results


def s3_objects() -> dict[str, bytes]:
    return read_objects(aws.client("s3"))


def test_batches_write_stats_engagement_and_by_date_as_served(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx()
    truth = sim.ground_truth()
    media_ids = live_media_ids(sim)
    assert len(media_ids) == 9

    results = run_all(ctx, media_ids)

    assert [r["unit"] for r in results] == ["media-batch-00000", "media-batch-00001", "media-batch-00002"]
    assert sum(r["medias"] for r in results) == 9
    assert all(r["failed"] == [] and r["gone"] == [] for r in results)
    assert sum(r["objects"] for r in results) == 27
    days = {day.isoformat() for day in ctx.window.days()}
    for media_id in media_ids:
        assert rt.bronze.get_json(media_stats_key(ctx, media_id)) == truth["media_stats"][media_id]
        assert rt.bronze.get_json(media_engagement_key(ctx, media_id)) == truth["engagement"][media_id]
        expected_rows = [
            {name: value for name, value in row.items() if name != "media_id"}
            for row in truth["daily_stats"]
            if row["media_id"] == media_id and row["date"] in days
        ]
        assert rt.bronze.get_json(media_by_date_key(ctx, media_id)) == expected_rows
        assert len(expected_rows) == ctx.window.length

    parts = rt.bronze.read_parts(ctx)
    listed = {obj["key"] for part in parts for obj in part["objects"]}
    data_keys = {key for key in s3_objects() if "/_runs/" not in key}
    assert listed == data_keys
    assert sum(part["records"] for part in parts) == sum(r["records"] for r in results)
    assert {part["stream"] for part in parts} == {"media"}


def test_a_second_run_writes_identical_objects_and_nothing_more(
    sim: WistiaSimulator, make_ctx: MakeCtx
) -> None:
    ctx = make_ctx()
    media_ids = live_media_ids(sim)
    run_all(ctx, media_ids)
    first = s3_objects()
    run_all(ctx, media_ids)
    assert s3_objects() == first


def test_a_failing_media_is_reported_and_the_others_are_written(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx()
    media_ids = live_media_ids(sim)[:4]
    broken, deleted = media_ids[1], media_ids[2]
    sim.delete_media(deleted)
    sim.set_faults(FaultProfile.parse(f"http_500@/stats/medias/{broken}=1.0"))

    result = ingest_media.handler(event_for(ctx, 7, media_ids), FakeLambdaContext())

    assert result["failed"] == [broken]
    assert result["gone"] == [deleted]
    assert result["medias"] == 2
    assert result["objects"] == 6
    written = s3_objects()
    for media_id in (media_ids[0], media_ids[3]):
        assert media_stats_key(ctx, media_id) in written
        assert media_by_date_key(ctx, media_id) in written
    assert not [key for key in written if broken in key or deleted in key]
    [part] = rt.bronze.read_parts(ctx)
    assert part["unit"] == "media-batch-00007"
    assert part["gone"] == [deleted]
    [failure] = part["failed"]
    assert failure["media_id"] == broken
    assert failure["error"] == "ServerError"
    assert "500" in failure["message"]
    assert " s (" not in failure["message"]  # no retry timings: parts stay byte-identical across runs


def test_a_revoked_token_fails_the_whole_batch(sim: WistiaSimulator, make_ctx: MakeCtx) -> None:
    ctx = make_ctx()
    sim.revoke_token()
    with pytest.raises(AuthenticationError, match="token"):
        ingest_media.handler(event_for(ctx, 0, live_media_ids(sim)[:3]), FakeLambdaContext())
    # No data and no part; only the note the failure record quotes (the distributed Map hides the error).
    [note_key] = s3_objects()
    assert note_key == f"{ctx.failures_prefix}media-batch-00000.json"
    note = json.loads(s3_objects()[note_key])
    assert note["error"] == "AuthenticationError" and "token" in note["message"]


def test_since_widens_the_by_date_window_and_backfills_skip_the_snapshot(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    ctx = make_ctx(stats_snapshot=False)
    media_id = live_media_ids(sim)[0]
    since = ctx.window.start - dt.timedelta(days=3)
    assert by_date_start(ctx, since) == since
    assert by_date_start(ctx, ctx.window.start + dt.timedelta(days=1)) == ctx.window.start
    assert by_date_start(ctx, None) == ctx.window.start

    batch = MediaBatch.model_validate({"index": 0, "medias": [{"id": media_id, "since": since.isoformat()}]})
    with rt.wistia() as client:
        result = ingest_media_batch(client=client, bronze=rt.bronze, ctx=ctx, batch=batch)

    assert result["objects"] == 1
    rows = rt.bronze.get_json(media_by_date_key(ctx, media_id))
    assert (rows[0]["date"], rows[-1]["date"]) == (since.isoformat(), ctx.window.end.isoformat())
    assert result["records"] == len(rows) == ctx.window.length + 3
    assert set(s3_objects()) == {media_by_date_key(ctx, media_id), part_key(ctx, "media-batch-00000")}


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda event: event.pop("run"), "no 'run' field"),
        (lambda event: event["run"].pop("window"), "'run' field is invalid: window"),
        (lambda event: event.pop("batch"), "'batch' field is invalid"),
        (lambda event: event["batch"]["medias"].append({"id": "../etc"}), r"batch.*medias\.1\.id"),
        (lambda event: event["batch"]["medias"].append({"id": "aaaaaaaaaa"}), "repeat within the batch"),
        (lambda event: event["batch"].update(index=-1), "batch.*index"),
        (lambda event: event["run"].update(bucket="some-other-bucket"), "planned for bucket"),
    ],
)
def test_malformed_events_fail_clearly_and_write_nothing(
    make_ctx: MakeCtx, mutate: Callable[[dict[str, Any]], Any], match: str
) -> None:
    event = event_for(make_ctx(), 0, ["aaaaaaaaaa"])
    mutate(event)
    with pytest.raises(InvalidEventError, match=match):
        ingest_media.handler(event, FakeLambdaContext())
    assert s3_objects() == {}


def test_an_event_that_is_not_an_object_is_refused(lambda_env: dict[str, str]) -> None:
    with pytest.raises(InvalidEventError, match="JSON object"):
        ingest_media.handler(["not", "an", "object"], FakeLambdaContext())  # type: ignore[arg-type]


def test_an_unchanged_media_reuses_its_engagement_object_for_a_week_instead_of_asking_again(
    sim: WistiaSimulator, make_ctx: MakeCtx, rt: Runtime
) -> None:
    media_ids = live_media_ids(sim)
    night_1 = make_ctx()
    run_all(night_1, media_ids)
    bases = {
        obj["media_id"]: {**obj["basis"], "snapshot_date": night_1.run_date.isoformat()}
        for part in rt.bronze.read_parts(night_1)
        for obj in part["objects"]
        if obj["entity"] == "media_engagement"
    }
    assert set(bases) == set(media_ids)
    before = sim.ground_truth()["media_stats"]
    sim.advance_days(1)
    truth = sim.ground_truth()
    media_ids = [m for m in media_ids if m in truth["media_stats"]]  # the simulator deletes some medias
    moved = {m for m in media_ids if truth["media_stats"][m]["play_count"] != before[m]["play_count"]}
    quiet = sorted(set(media_ids) - moved)
    assert moved and len(quiet) >= 2, "the demo account should have both kinds of media in a day"
    expired = quiet[0]  # its earlier object is gone (bronze lifecycle): the API is asked after all
    aws.client("s3").delete_object(Bucket=night_1.bucket, Key=media_engagement_key(night_1, expired))
    sim.reset_stats()

    night_2 = make_ctx(run_date=night_1.run_date + dt.timedelta(days=1))  # the same run id holds the lock
    medias = [{"id": m, "since": None, "engagement_basis": bases[m]} for m in media_ids]
    event = {"run": night_2.model_dump(mode="json"), "batch": {"index": 0, "medias": medias}}
    result = ingest_media.handler(event, FakeLambdaContext())

    assert result["medias"] == len(media_ids) and result["failed"] == []
    assert result["engagement_reused"] == len(quiet) - 1
    asked = sim.stats()["by_route"]["/stats/medias/{id}/engagement"]
    assert asked == len(moved) + 1
    [part] = rt.bronze.read_parts(night_2)
    written = {o["media_id"]: o for o in part["objects"] if o["entity"] == "media_engagement"}
    for media_id in media_ids:  # reused or asked, tonight's object is what the API answers tonight
        assert rt.bronze.get_json(media_engagement_key(night_2, media_id)) == truth["engagement"][media_id]
        reused = media_id in quiet and media_id != expired
        assert written[media_id]["carried_from"] == (
            media_engagement_key(night_1, media_id) if reused else None
        )
        # A reused object keeps the day the API was asked for it, so the curve is refreshed weekly.
        asked_on = night_1.run_date if reused else night_2.run_date
        assert written[media_id]["basis"]["asked_on"] == asked_on.isoformat()

    # Unchanged totals, but the API was last asked a week ago: asked again.
    [reused_id] = [m for m in quiet if m != expired]
    stale = {**bases[reused_id], "asked_on": (night_2.run_date - dt.timedelta(days=7)).isoformat()}
    event["batch"] = {"index": 0, "medias": [{"id": reused_id, "since": None, "engagement_basis": stale}]}
    sim.reset_stats()
    assert ingest_media.handler(event, FakeLambdaContext())["engagement_reused"] == 0
    assert sim.stats()["by_route"]["/stats/medias/{id}/engagement"] == 1
