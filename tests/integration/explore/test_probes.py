"""The probes against a real simulator: summaries match the account, and samples hold no PII."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.api import CLOCK_DATE, TOKEN, fast_config
from wistia_ingest.client import WistiaClient
from wistia_local import explore
from wistia_simulator import SimulatorConfig, WistiaSimulator
from wistia_spark.channels import channel_for


@pytest.fixture(scope="module")
def sim() -> Iterator[WistiaSimulator]:
    with WistiaSimulator(SimulatorConfig(preset="demo", seed=11, date=CLOCK_DATE, token=TOKEN)) as running:
        yield running


@pytest.fixture
def client(sim: WistiaSimulator) -> Iterator[WistiaClient]:
    with WistiaClient(fast_config(sim.base_url)) as opened:
        yield opened


def test_medias_probe_summarises_the_first_page(sim: WistiaSimulator, client: WistiaClient) -> None:
    result = explore.probe_medias(client, page=1, per_page=5)
    live = sorted((m for m in sim.ground_truth()["medias"] if not m["deleted"]), key=lambda m: m["id"])[:5]
    assert [m["hashed_id"] for m in result.items] == [m["hashed_id"] for m in live]
    expected_mix: dict[str, int] = {}
    for media in live:
        tags = [tag["name"] for tag in media.get("tags") or []]
        channel = channel_for(media["project"]["name"], tags)
        expected_mix[channel] = expected_mix.get(channel, 0) + 1
    assert result.summary["channel_mix"] == expected_mix
    assert (
        result.summary["earliest_created"]
        == min(dt.datetime.fromisoformat(m["created"]) for m in live).isoformat()
    )


def test_account_has_facebook_and_youtube_medias(sim: WistiaSimulator, client: WistiaClient) -> None:
    result = explore.probe_medias(client, page=1, per_page=100)
    assert {"facebook", "youtube"} <= set(result.summary["channel_mix"])


def test_events_probe_reads_every_page_newest_first(sim: WistiaSimulator, client: WistiaClient) -> None:
    start, end = CLOCK_DATE - dt.timedelta(days=3), CLOCK_DATE - dt.timedelta(days=1)
    result = explore.probe_events(
        client, media_id=None, start_date=start, end_date=end, per_page=25, max_pages=100
    )
    truth = [
        e
        for e in sim.ground_truth()["events"]
        if start.isoformat() <= e["received_at"][:10] <= end.isoformat()
    ]
    assert result.summary["count"] == len(truth) > 25
    assert result.summary["newest_first"] is True
    assert result.summary["pages"] == len(truth) // 25 + 1
    assert sum(result.summary["per_day"].values()) == len(truth)


def test_media_stats_probe_totals_match_the_api(sim: WistiaSimulator, client: WistiaClient) -> None:
    result = explore.probe_media_stats(client, media_ids=[], per_page=4, max_pages=1, today=CLOCK_DATE)
    truth = sim.ground_truth()["media_stats"]
    ids = result.params["media_ids"]
    assert len(ids) == 4
    assert result.summary["play_count"] == sum(truth[media_id]["play_count"] for media_id in ids)
    assert all(len(item["by_date"]) == 7 for item in result.items)


def test_samples_are_redacted_and_complete(
    sim: WistiaSimulator, client: WistiaClient, tmp_path: Path
) -> None:
    start = CLOCK_DATE - dt.timedelta(days=7)
    events = explore.probe_events(
        client, media_id=None, start_date=start, end_date=CLOCK_DATE, per_page=100, max_pages=100
    )
    visitors = explore.probe_visitors(client, page=1, per_page=100)
    now = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    written = [explore.write_sample(r, tmp_path, base_url=sim.base_url, now=now) for r in (events, visitors)]

    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "events/20261120T093000000000Z.json",
        "visitors/20261120T093000000000Z.json",
    ]
    text = "\n".join(p.read_text(encoding="utf-8") for p in written)
    emails = {e["email"] for e in events.items if e.get("email")} | {
        v["visitor_identity"]["email"]
        for v in visitors.items
        if (v.get("visitor_identity") or {}).get("email")
    }
    ips = {e["ip"] for e in events.items if e.get("ip")}
    assert emails and ips, "the demo account must carry PII for this test to mean anything"
    assert not [value for value in emails | ips if value in text]
    document = json.loads(written[0].read_text(encoding="utf-8"))
    assert len(document["items"]) == events.summary["count"]
    assert not list(tmp_path.rglob("*.tmp"))
