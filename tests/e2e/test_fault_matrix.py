"""The fault matrix through the real state machine: each night meets a fault, and the lake is then held
to the simulator's ground truth (reconcile.py), so "nothing lost or duplicated" is checked exactly.

One simulated account and one workdir, nights in order (one per test): HTTP faults the client must
absorb, a media deleted mid-run, Lambdas crashing mid-ingestion (once: retried; always: the run fails
and nothing advances), and an execution killed between ingestion and merge (its lease must expire before
the next run can recover). The token revoked mid-run, a failing Spark job and a second execution are in
test_local_pipeline.py; the `mixed` profile over two nights is in test_simulate.py.

The nights also meet the real API's quirks (docs/client.md's assumptions): events without received_at on
every night, slow pages, personal data in embed URLs, day buckets in the account's timezone, pages of 10
whatever is asked and a visitor list moving under the snapshot; and the two permission 401s, which must
stop a run at Plan with nothing written.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from support.api import CLOCK_DATE
from support.local_world import local_pipeline
from wistia_ingest.bronze import BronzeStore
from wistia_ingest.handlers import ingest_events, ingest_media
from wistia_ingest.state import StateStore
from wistia_local.aws_local import LocalAws
from wistia_local.local_run import LocalPipeline
from wistia_local.reconcile import read_tables
from wistia_local.simulate import reconcile_night
from wistia_simulator import FaultProfile, WistiaSimulator
from wistia_simulator.quirks import Quirks

pytestmark = [pytest.mark.e2e, pytest.mark.serial]

EVENTS_FUNCTION = "wistia-ingest-events"
MEDIA_FUNCTION = "wistia-ingest-media"
REAL_HANDLERS = {
    EVENTS_FUNCTION: "wistia_ingest.handlers.ingest_events.handler",
    MEDIA_FUNCTION: "wistia_ingest.handlers.ingest_media.handler",
}


@dataclass
class Night:
    description: dict[str, Any]
    output: dict[str, Any]
    faults: dict[str, int]
    mismatches: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)
    """The ground truth the night was reconciled with (the API's view under the night's quirks)."""

    @property
    def status(self) -> str:
        return str(self.description["status"])


@dataclass
class World:
    sim: WistiaSimulator
    aws: LocalAws
    pipeline: LocalPipeline
    covered_from: dt.date | None = None
    standing_quirks: list[str] = field(default_factory=lambda: ["bad_record"])
    """Quirks on every night: the API serves a few events without received_at, always the same ones (a
    quirk switched on later would flag events earlier nights merged)."""

    def night(
        self,
        name: str,
        *,
        faults: str = "none",
        quirks: str = "none",
        during: Callable[[str], None] | None = None,
    ) -> Night:
        """Run the nightly execution under `faults` and the API's `quirks`; after a success, reconcile the
        lake with the truth (the quirks stay on for it: the truth is the API's view under them)."""
        self.sim.reset_stats()
        self.sim.set_faults(FaultProfile.parse(faults))
        self.sim.set_quirks(Quirks.parse(",".join([*self.standing_quirks, quirks])))
        try:
            arn = self.pipeline.start({"run_date": self.sim.now.date().isoformat()}, name=name)
            if during is not None:
                during(arn)
            description = self.pipeline.wait(arn, timeout_seconds=600)
        finally:
            self.sim.set_faults(FaultProfile.parse("none"))
        output = json.loads(description.get("output") or "null") or {}
        night = Night(description, output, dict(self.sim.stats().get("by_fault") or {}))
        if night.status == "SUCCEEDED":
            if self.covered_from is None:
                self.covered_from = dt.date.fromisoformat(output["plan"]["run"]["window"]["start"])
            night.truth = self.sim.ground_truth()
            result = reconcile_night(self.pipeline, night.truth, output, self.covered_from)
            night.mismatches = [f"{table}: {m}" for table, items in result.mismatches.items() for m in items]
            night.checked = result.checked
        self.sim.set_quirks(Quirks.parse("none"))
        return night

    def next_day(self) -> None:
        self.sim.advance_days(1)

    def lock_holder(self) -> dict[str, str] | None:
        return StateStore(self.aws.client("dynamodb"), self.pipeline.state_table).lock_holder()

    def bronze_keys(self, prefix: str) -> list[str]:
        return BronzeStore(self.aws.client("s3"), self.pipeline.lake_bucket).list_keys(prefix)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # Slow responses (3 s below) outlast this read timeout, so they are retried. More tries than the default
    # 8, so that fault rates high enough to be sure to fire on a demo night's few requests never exhaust a
    # request's retries (0.44^16: about 2e-6 a request).
    environment = {"POWERTOOLS_LOG_LEVEL": "ERROR", "WISTIA_TIMEOUT_SECONDS": "2", "WISTIA_MAX_TRIES": "16"}
    with local_pipeline(tmp_path_factory.mktemp("workdir"), environment) as (sim, aws, pipeline):
        yield World(sim, aws, pipeline)


@pytest.fixture
def handlers(world: World) -> Iterator[Callable[[str, Callable[..., Any]], None]]:
    """Swap a function's in-process handler for the test; the real ones are back afterwards."""
    yield world.aws.register_handler
    for function_name, real in REAL_HANDLERS.items():
        world.aws.register_handler(function_name, real)


def crash_before_the_part(days: set[str], times: int, crashed: list[str]) -> Callable[..., Any]:
    """An events handler that, for `days`, dies (as an OOM-killed runtime does) after writing the day's data
    and before its part: the point where a crash leaves the most behind."""
    real_write_part = BronzeStore.write_part
    crashing = threading.local()

    def write_part(store: BronzeStore, ctx: Any, part: Any) -> str:
        if getattr(crashing, "now", False):
            raise SystemExit(137)
        return real_write_part(store, ctx, part)

    def handler(event: dict[str, Any], context: Any) -> Any:
        crashing.now = event.get("day") in days and crashed.count(event["day"]) < times
        if crashing.now:
            crashed.append(event["day"])
        try:
            return ingest_events.handler(event, context)
        finally:
            crashing.now = False

    mock.patch.object(BronzeStore, "write_part", write_part).start()
    return handler


@pytest.fixture(autouse=True)
def _undo_patches() -> Iterator[None]:
    yield
    mock.patch.stopall()


def test_rate_limit_storms_and_503s_with_retry_after_are_absorbed(world: World) -> None:
    night = world.night(
        "storms", faults="rate_limit_storm@/stats/events=0.02,http_503@/stats/medias=0.2,retry_after=1"
    )

    assert night.status == "SUCCEEDED", night.description.get("cause")
    assert night.faults.get("rate_limit_storm", 0) > 0 and night.faults.get("http_503", 0) > 0
    assert night.mismatches == []
    assert night.checked["fct_events"] > 3000 and night.checked["dim_media"] > 0
    assert night.checked["quarantine"] > 0, "events served without received_at were held to the quarantine"
    assert world.pipeline.watermarks()["events"] == (CLOCK_DATE - dt.timedelta(days=1)).isoformat()


def test_500s_and_responses_slower_than_the_client_timeout_are_retried(world: World) -> None:
    world.next_day()

    # Besides the injected faults, the API's own slow pages (quirk slow_pages, scaled to the 2 s read
    # timeout): half the pages of more than 50 rows take longer than the timeout; they are asked again at
    # 50 rows, which the API serves fast.
    night = world.night(
        "errors-and-slow",
        faults="http_500@/stats/medias=0.2,slow@/stats/events=0.4,slow_seconds=3",
        quirks="slow_pages,slow_seconds=2.5-3.5,slow_share=0.5",
    )

    assert night.status == "SUCCEEDED", night.description.get("cause")
    assert night.faults.get("http_500", 0) > 0 and night.faults.get("slow", 0) > 0
    assert night.faults.get("slow_page", 0) > 0
    assert night.mismatches == []


def test_malformed_and_truncated_pages_and_a_media_deleted_mid_run(
    world: World, handlers: Callable[[str, Callable[..., Any]], None]
) -> None:
    world.next_day()
    victim = sorted(m["hashed_id"] for m in world.sim.ground_truth()["medias"] if not m["deleted"])[-1]

    def delete_then_ingest(event: dict[str, Any], context: Any) -> Any:
        if victim in [m["id"] for m in event["batch"]["medias"]]:
            world.sim.delete_media(victim)  # listed by Plan, gone before its stats are read: 404s
        return ingest_media.handler(event, context)

    handlers(MEDIA_FUNCTION, delete_then_ingest)
    # Over every stats route (about 35 requests on a demo night, fewer since quiet medias' engagement is
    # reused): the chance that either fault never fires is under 1e-3. The API also puts visitors' emails,
    # names and phone numbers in embed URLs (quirk url_pii): percent-encoded, and in fragments.
    night = world.night(
        "garbled", faults="malformed_json@/stats=0.25,truncated_page@/stats=0.25", quirks="url_pii"
    )

    assert night.status == "SUCCEEDED", night.description.get("cause")
    assert night.faults.get("malformed_json", 0) > 0 and night.faults.get("truncated_page", 0) > 0
    assert victim in night.output["commit"]["counts"]["gone_medias"]  # with any deleted on earlier days
    assert night.mismatches == []
    assert_no_personal_data_from_urls(world, night.truth)


def test_a_lambda_that_crashes_once_mid_ingestion_is_retried(
    world: World, handlers: Callable[[str, Callable[..., Any]], None]
) -> None:
    world.next_day()
    last_day = (world.sim.now.date() - dt.timedelta(days=1)).isoformat()
    crashed: list[str] = []
    handlers(EVENTS_FUNCTION, crash_before_the_part({last_day}, times=1, crashed=crashed))
    # The API also buckets days by the account's timezone (UTC-5) tonight.
    night = world.night("crash-once", quirks="tz")

    assert night.checked.get("quarantine", 0) > 0, "events served without received_at were held to it"
    assert crashed == [last_day]
    assert night.status == "SUCCEEDED", night.description.get("cause")
    assert night.mismatches == [], "the retried day replaced what the crashed attempt left"
    assert world.pipeline.watermarks()["events"] == last_day


def test_a_lambda_that_keeps_crashing_fails_the_run_and_nothing_advances(
    world: World, handlers: Callable[[str, Callable[..., Any]], None]
) -> None:
    world.next_day()
    marks = world.pipeline.watermarks()
    last_day = (world.sim.now.date() - dt.timedelta(days=1)).isoformat()
    crashed: list[str] = []
    handlers(EVENTS_FUNCTION, crash_before_the_part({last_day}, times=99, crashed=crashed))

    night = world.night("crash-always")

    assert night.status == "FAILED"
    assert len(crashed) == 2, "one attempt and one retry"
    assert night.description["error"] == "Runtime.ExitError"
    assert "Runtime exited with error" in night.description["cause"]
    assert world.pipeline.watermarks() == marks
    assert world.lock_holder() is None, "the failure released the lock"
    run_prefix = f"bronze/_runs/run=nightly-{world.sim.now.date().isoformat()}"
    assert world.bronze_keys(f"bronze/events/day={last_day}/"), "the crashed attempt left its data"
    assert f"{run_prefix}/parts/events-{last_day}.json" not in world.bronze_keys(f"{run_prefix}/parts/")


def test_an_execution_killed_before_the_merge_blocks_until_its_lease_expires_then_all_recovers(
    world: World,
) -> None:
    world.next_day()
    marks = world.pipeline.watermarks()
    entered, release = threading.Event(), threading.Event()

    def blocking_runner(job: dict[str, Any]) -> None:
        entered.set()
        release.wait(timeout=120)
        raise RuntimeError("the execution was stopped")

    def kill_at_transform(arn: str) -> None:
        assert entered.wait(timeout=300), "the execution never reached Transform"
        world.aws.client("stepfunctions").stop_execution(
            executionArn=arn, error="Killed", cause="by the test"
        )
        release.set()  # the job run ends too; the stopped execution does not wait for it

    world.aws.set_emr_runner(blocking_runner)
    try:
        killed = world.night("killed", during=kill_at_transform)
    finally:
        release.set()
        world.aws.set_emr_runner(world.pipeline.emr)

    assert killed.status == "ABORTED"
    assert (world.lock_holder() or {}).get("run_id") == "killed", (
        "a killed execution runs no Catch: its lock stays"
    )
    assert world.pipeline.watermarks() == marks

    refused = world.night("too-early")
    assert refused.status == "FAILED" and refused.description["error"] == "LockHeldError"

    # The lease (LOCK_LEASE_SECONDS, 3 hours by default) runs out: stand in for the wait.
    world.aws.client("dynamodb").update_item(
        TableName=world.pipeline.state_table,
        Key={"pk": {"S": "LOCK"}, "sk": {"S": "pipeline"}},
        UpdateExpression="SET lease_expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    # Tonight the API serves 10 rows a page whatever is asked, and visitors become active while the
    # snapshot is read (they jump to page 1).
    recovered = world.night("recovered", quirks="page_cap,visitor_churn")

    assert recovered.status == "SUCCEEDED", recovered.description.get("cause")
    assert recovered.output["visitors"]["repeats"] > 0, "the visitor list moved under the snapshot"
    assert recovered.mismatches == [], (
        "nothing lost or duplicated across the crashed, failed and killed nights"
    )
    assert world.pipeline.watermarks()["events"] == (world.sim.now.date() - dt.timedelta(days=1)).isoformat()
    assert world.lock_holder() is None


def test_permission_401s_fail_at_plan_saying_what_to_grant_and_write_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.next_day()
    marks = world.pipeline.watermarks()
    before = world.bronze_keys("bronze/")

    missing = world.night("scope-missing", quirks="scope_missing")
    monkeypatch.setenv("WISTIA_AUTH_SCHEME", "basic")  # the Lambdas read it at the next start
    basic = world.night("basic-refused", quirks="basic_refused")
    monkeypatch.delenv("WISTIA_AUTH_SCHEME")

    for night, advice in (
        (missing, "'Read detailed stats' permission"),
        (basic, "WISTIA_AUTH_SCHEME=bearer"),
    ):
        assert night.status == "FAILED"
        assert night.description["error"] == "AuthenticationError"
        assert advice in night.description["cause"]
    assert world.pipeline.watermarks() == marks
    assert world.lock_holder() is None
    # Not even a manifest: Plan stopped at its Stats API probe (or at the listing), before it writes.
    assert world.bronze_keys("bronze/") == before, "nothing half-written"


def assert_no_personal_data_from_urls(world: World, truth: dict[str, Any]) -> None:
    """The emails and phone numbers the API put in embed URLs are nowhere in bronze or the gold tables, in
    any encoding; every embed URL kept in fct_events holds only campaign parameters or HMACs."""
    served = [e["embed_url"] for e in truth["events"]]
    secrets: set[str] = set()
    for url in served:
        parts = urlsplit(url)
        for name, value in parse_qsl(parts.query) + parse_qsl(parts.fragment):
            if not name.lower().startswith("utm_") and ("@" in value or value.startswith("+")):
                secrets.add(value)
    assert secrets, "the API served personal data in embed URLs"
    lake = world.pipeline.workdir.bucket_dir(world.pipeline.lake_bucket)
    world.pipeline.save()
    texts = []
    for path in lake.rglob("*"):
        if path.is_file() and path.suffix in (".gz", ".json", ".parquet"):
            data = path.read_bytes()
            texts.append((gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace"))
    haystack = "\n".join(texts).lower()
    for secret in secrets:
        for form in {secret, quote(secret), quote(secret, safe=""), quote(quote(secret, safe=""), safe="")}:
            assert form.lower() not in haystack
    rows = read_tables(lake)["fct_events"]
    for row in rows:
        parts = urlsplit(row["embed_url"] or "")
        assert not parts.fragment
        for name, value in parse_qsl(parts.query):
            assert name.lower().startswith("utm_") or value.startswith("hmac256:") or not value
