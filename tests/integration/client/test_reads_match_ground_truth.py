"""The production client reads everything the simulator knows, no more and no less, in every page size."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pytest

from wistia_ingest.client import WistiaClient
from wistia_simulator import WistiaSimulator


def live_medias(sim: WistiaSimulator) -> dict[str, dict[str, object]]:
    return {m["hashed_id"]: m for m in sim.ground_truth()["medias"] if not m["deleted"]}


@pytest.mark.parametrize("per_page", [1, 7, 100])
def test_media_listing_reads_every_media_once(
    shared_sim: WistiaSimulator, client_for: Callable[..., WistiaClient], per_page: int
) -> None:
    client = client_for(shared_sim, per_page=per_page)
    before = shared_sim.stats()["by_route"].get("/medias", 0)

    medias = list(client.iter_medias())

    expected = live_medias(shared_sim)
    assert [m.hashed_id for m in medias] == sorted(expected, key=lambda key: int(str(expected[key]["id"])))
    assert len({m.hashed_id for m in medias}) == len(medias)
    # The end is a short page, or an extra empty page when the count is an exact multiple; a short first
    # page (the server's page size still unknown) is confirmed by one more request.
    pages = math.floor(len(expected) / per_page) + 1
    confirmation = 1 if len(expected) < per_page else 0
    assert shared_sim.stats()["by_route"]["/medias"] - before == pages + confirmation


def test_exact_multiple_of_page_size_stops_at_the_empty_page(
    shared_sim: WistiaSimulator, client_for: Callable[..., WistiaClient]
) -> None:
    count = len(live_medias(shared_sim))
    client = client_for(shared_sim, per_page=count)
    before = shared_sim.stats()["by_route"].get("/medias", 0)
    assert len(list(client.iter_medias())) == count
    assert shared_sim.stats()["by_route"]["/medias"] - before == 2


def test_medias_sorted_by_updated_descending(
    shared_sim: WistiaSimulator, client_for: Callable[..., WistiaClient]
) -> None:
    medias = list(client_for(shared_sim, per_page=5).iter_medias(sort_by="updated", sort_direction=0))
    stamps = [m.updated for m in medias]
    assert stamps == sorted(stamps, reverse=True)
    assert {m.hashed_id for m in medias} == set(live_medias(shared_sim))


def test_events_of_every_day_match_ground_truth(
    shared_sim: WistiaSimulator, client_for: Callable[..., WistiaClient]
) -> None:
    truth = shared_sim.ground_truth()["events"]
    client = client_for(shared_sim)
    days = sorted({event["received_at"][:10] for event in truth})
    fetched: list[dict[str, object]] = []
    for day in days:
        date = dt.date.fromisoformat(day)
        fetched.extend(event.raw for event in client.iter_events(start_date=date, end_date=date))
    assert len(fetched) == len(truth)
    assert {e["event_key"] for e in fetched} == {e["event_key"] for e in truth}
    by_key = {e["event_key"]: e for e in truth}
    assert all(by_key[e["event_key"]] == e for e in fetched)


def test_visitor_snapshot_matches_ground_truth(
    shared_sim: WistiaSimulator, client_for: Callable[..., WistiaClient]
) -> None:
    visitors = [v.raw for v in client_for(shared_sim).iter_visitors()]
    truth = shared_sim.ground_truth()["visitors"]
    assert sorted(v["visitor_key"] for v in visitors) == sorted(v["visitor_key"] for v in truth)
    assert {v["visitor_key"]: v for v in visitors} == {v["visitor_key"]: v for v in truth}


def test_daily_stats_and_totals_match_ground_truth(
    shared_sim: WistiaSimulator, client_for: Callable[..., WistiaClient]
) -> None:
    truth = shared_sim.ground_truth()
    client = client_for(shared_sim)
    media_id = max(truth["media_stats"], key=lambda key: truth["media_stats"][key]["play_count"])
    rows = [r for r in truth["daily_stats"] if r["media_id"] == media_id]
    start = dt.date.fromisoformat(min(r["date"] for r in rows))
    end = dt.date.fromisoformat(max(r["date"] for r in rows))

    by_date = client.get_media_by_date(media_id, start, end)

    assert [(r.date.isoformat(), r.load_count, r.play_count) for r in by_date] == [
        (r["date"], r["load_count"], r["play_count"]) for r in sorted(rows, key=lambda r: r["date"])
    ]
    stats = client.get_media_stats(media_id)
    assert stats.raw == truth["media_stats"][media_id]
    assert stats.play_count == sum(r.play_count for r in by_date)
    engagement = client.get_media_engagement(media_id)
    assert engagement.raw == truth["engagement"][media_id]


def test_every_media_model_keeps_its_raw_payload(
    shared_sim: WistiaSimulator, client_for: Callable[..., WistiaClient]
) -> None:
    expected = live_medias(shared_sim)
    for media in client_for(shared_sim).iter_medias():
        truth = expected[media.hashed_id]
        assert set(media.raw) <= set(truth)
        assert media.raw == {key: truth[key] for key in media.raw}
        assert media.created is not None and media.created.tzinfo is not None


def test_an_empty_listing_costs_one_request(
    shared_sim: WistiaSimulator, client_for: Callable[..., WistiaClient]
) -> None:
    before_origin = shared_sim.origin - dt.timedelta(days=3)
    client = client_for(shared_sim)
    assert list(client.iter_events(start_date=before_origin, end_date=before_origin)) == []
    assert list(client.iter_medias(project_id="no-such-project")) == []
    assert client.stats.as_dict()["requests_sent"] == 2
