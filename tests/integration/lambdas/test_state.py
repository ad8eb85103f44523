"""The DynamoDB state table in moto: the lock, forward-only watermarks, run records, the media catalog."""

from __future__ import annotations

import datetime as dt

import pytest

from support.lake import TABLE
from wistia_ingest import aws
from wistia_ingest.runtime import Runtime
from wistia_ingest.state import LockHeldError, LockLostError, StateStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(rt: Runtime, clock: Clock) -> StateStore:
    return StateStore(aws.client("dynamodb"), TABLE, clock=clock)


def test_a_second_run_is_refused_while_the_first_holds_the_lock(state: StateStore) -> None:
    state.acquire_lock("run-a", lease_seconds=3600)
    with pytest.raises(LockHeldError, match=r"run-a.*lease"):
        state.acquire_lock("run-b", lease_seconds=3600)
    assert state.lock_holder() is not None
    assert state.lock_holder()["run_id"] == "run-a"  # type: ignore[index]


def test_a_crashed_runs_lock_expires(state: StateStore, clock: Clock) -> None:
    state.acquire_lock("crashed", lease_seconds=600)
    clock.now += 599
    with pytest.raises(LockHeldError):
        state.acquire_lock("next", lease_seconds=600)
    clock.now += 2
    state.acquire_lock("next", lease_seconds=600)
    assert state.lock_holder()["run_id"] == "next"  # type: ignore[index]
    assert state.release_lock("crashed") is False, "the crashed run cannot release the new holder's lock"
    assert state.release_lock("next") is True
    assert state.lock_holder() is None


def test_the_lock_is_reentrant_for_the_same_run(state: StateStore) -> None:
    state.acquire_lock("run-a", lease_seconds=600)
    state.acquire_lock("run-a", lease_seconds=600)  # a retried Plan of the same execution
    assert state.release_lock("run-a") is True


def test_a_renewed_lease_outlasts_the_first_and_a_lost_lock_is_reported(
    state: StateStore, clock: Clock
) -> None:
    state.acquire_lock("run-a", lease_seconds=600)
    clock.now += 500
    state.renew_lock("run-a", lease_seconds=600)  # before Transform
    clock.now += 500  # past the first lease, within the renewed one
    with pytest.raises(LockHeldError):
        state.acquire_lock("run-b", lease_seconds=600)

    clock.now += 101
    state.acquire_lock("run-b", lease_seconds=600)  # run-a's lease ran out: taken over
    with pytest.raises(LockLostError, match=r"run-a no longer holds .*now held by run-b"):
        state.renew_lock("run-a", lease_seconds=600)
    assert (state.lock_holder() or {}).get("run_id") == "run-b"


def test_watermarks_only_move_forward(state: StateStore) -> None:
    assert state.advance_watermark("events", "2026-11-18", run_id="r1") is True
    assert state.advance_watermark("events", "2026-11-17", run_id="r2") is False
    assert state.advance_watermark("events", "2026-11-18", run_id="r3") is False
    assert state.advance_watermark("events", "2026-11-19", run_id="r4") is True
    assert state.watermarks() == {"events": "2026-11-19"}
    with pytest.raises(ValueError, match="unknown watermark stream"):
        state.advance_watermark("everything", "2026-11-19", run_id="r5")


def test_run_records_round_trip(state: StateStore) -> None:
    state.record_run("run-a", {"status": "running", "medias": 8, "full_sweep": True}, ttl_days=30)
    state.record_run("run-a", {"status": "succeeded", "counts": {"records": {"events": 120}}}, ttl_days=30)
    record = state.run_record("run-a")
    assert record is not None
    assert record["status"] == "succeeded"
    assert record["medias"] == 8 and record["full_sweep"] is True
    assert record["counts"] == {"records": {"events": 120}}
    assert record["expires_at"] > 1_800_000_000


def test_media_retry_keeps_the_earliest_missing_day_and_success_records_the_basis(state: StateStore) -> None:
    state.upsert_medias(
        [("m1", "2026-11-01T00:00:00+00:00"), ("m2", "2026-11-02T00:00:00+00:00")], run_id="r1"
    )
    state.set_media_retry("m1", dt.date(2026, 11, 16))
    state.set_media_retry("m1", dt.date(2026, 11, 17))
    state.set_media_retry("unknown", dt.date(2026, 11, 17))  # not in the catalog: ignored
    catalog = state.media_catalog()
    assert set(catalog) == {"m1", "m2"}
    assert catalog["m1"]["retry_since"] == "2026-11-16"
    basis = {"snapshot_date": "2026-11-17", "play_count": 12, "hours_watched": 0.25, "engagement": 0.5}
    state.media_ingested("m1", engagement_basis=basis)
    state.media_ingested("m2")  # no engagement object tonight: an earlier basis would stay
    state.media_ingested("unknown", engagement_basis=basis)  # not in the catalog: ignored
    catalog = state.media_catalog()
    assert set(catalog) == {"m1", "m2"}
    assert "retry_since" not in catalog["m1"]
    assert catalog["m1"]["engagement_basis"] == basis
    assert "engagement_basis" not in catalog["m2"]
    state.remove_medias(["m2"])
    assert set(state.media_catalog()) == {"m1"}
