"""/stats/events: newest first, inclusive UTC-day filters, 422s, retention, late arrival, filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wistia_simulator import WistiaSimulator


def _received(event: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(event["received_at"].replace("Z", "+00:00"))


def test_newest_first_across_pages(client: httpx.Client, fetch_all: Callable[..., list[Any]]) -> None:
    events = fetch_all(client, "/stats/events")
    assert len(events) > 1000
    order = [(_received(e), e["event_key"]) for e in events]
    assert order == sorted(order, reverse=True)
    assert len({e["event_key"] for e in events}) == len(events)


def test_day_filters_are_inclusive_utc_days(
    client: httpx.Client, fetch_all: Callable[..., list[Any]]
) -> None:
    days = ["2026-11-10", "2026-11-11", "2026-11-12"]
    per_day = {d: fetch_all(client, "/stats/events", {"start_date": d, "end_date": d}) for d in days}
    for day, events in per_day.items():
        assert events and all(e["received_at"].startswith(day) for e in events)
    window = fetch_all(client, "/stats/events", {"start_date": days[0], "end_date": days[-1]})
    assert window == per_day[days[2]] + per_day[days[1]] + per_day[days[0]]
    since = fetch_all(client, "/stats/events", {"start_date": days[-1]})
    assert all(_received(e).date() >= dt.date(2026, 11, 12) for e in since)
    until = fetch_all(client, "/stats/events", {"end_date": days[0]})
    assert all(_received(e).date() <= dt.date(2026, 11, 10) for e in until)
    assert len(since) + len(until) + len(per_day[days[1]]) == len(fetch_all(client, "/stats/events"))


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-13-01"},
        {"start_date": "20261101"},
        {"end_date": "yesterday"},
        {"start_date": "2026-11-02", "end_date": "2026-11-01"},
        {"per_page": "ten"},
    ],
)
def test_bad_parameters_are_422(client: httpx.Client, params: dict[str, str]) -> None:
    response = client.get("/stats/events", params=params)
    assert response.status_code == 422
    assert set(response.json()) == {"error"}


def test_retention_is_two_years(
    make_sim: Callable[..., WistiaSimulator],
    make_client: Callable[..., httpx.Client],
    fetch_all: Callable[..., list[Any]],
) -> None:
    sim = make_sim(origin=dt.date(2024, 9, 1))
    client = make_client(sim)
    cutoff = sim.now - dt.timedelta(days=730)  # 2024-11-20T06:00Z
    edge = fetch_all(client, "/stats/events", {"start_date": "2024-11-20", "end_date": "2024-11-20"})
    assert edge and all(_received(e) >= cutoff for e in edge)
    assert min(_received(e) for e in edge) < cutoff + dt.timedelta(hours=3)
    assert client.get("/stats/events", params={"end_date": "2024-11-19"}).json() == []
    expired_key = sim.account.event_key(0)
    assert client.get(f"/stats/events/{expired_key}").status_code == 404
    assert client.get(f"/stats/events/{edge[0]['event_key']}").status_code == 200
    sim.advance_days(2)
    assert client.get(f"/stats/events/{edge[0]['event_key']}").status_code == 404
    assert client.get("/stats/events", params={"end_date": "2024-11-21"}).json() == []
    later = fetch_all(client, "/stats/events", {"start_date": "2024-11-22", "end_date": "2024-11-22"})
    assert later and all(_received(e) >= sim.now - dt.timedelta(days=730) for e in later)


def test_late_events_appear_after_the_clock_advances(
    sim: WistiaSimulator, client: httpx.Client, fetch_all: Callable[..., list[Any]]
) -> None:
    day = (sim.now - dt.timedelta(days=1)).date().isoformat()
    before = fetch_all(client, "/stats/events", {"start_date": day, "end_date": day})
    world = sim.account
    plays = world.data.plays
    now = int(sim.now.timestamp())
    pending = [i for i in range(len(plays)) if plays.ts[i] <= now < plays.visible_at[i]]
    assert pending, "some already received events should still be in flight"
    late_key = world.event_key(pending[0])
    assert client.get(f"/stats/events/{late_key}").status_code == 404
    sim.advance_days(3)
    after = fetch_all(client, "/stats/events", {"start_date": day, "end_date": day})
    assert len(after) > len(before)
    by_key = {e["event_key"]: e for e in after}
    assert all(by_key[e["event_key"]] == e for e in before)
    shown = client.get(f"/stats/events/{late_key}")
    assert shown.status_code == 200 and shown.json()["event_key"] == late_key


def test_media_and_visitor_filters_agree_with_stats(
    client: httpx.Client, fetch_all: Callable[..., list[Any]]
) -> None:
    media = client.get("/medias", params={"per_page": 100, "type": "Video"}).json()[0]["hashed_id"]
    events = fetch_all(client, "/stats/events", {"media_id": media})
    assert events and all(e["media_id"] == media for e in events)
    assert len(events) == client.get(f"/stats/medias/{media}").json()["play_count"]
    visitor = client.get("/stats/visitors", params={"per_page": 1}).json()[0]
    mine = fetch_all(client, "/stats/events", {"visitor_key": visitor["visitor_key"]})
    assert len(mine) == visitor["play_count"]
    assert mine[0]["event_key"] == visitor["last_event_key"]
    assert all(e["visitor_key"] == visitor["visitor_key"] for e in mine)
    both = fetch_all(
        client, "/stats/events", {"visitor_key": visitor["visitor_key"], "media_id": mine[0]["media_id"]}
    )
    assert both == [e for e in mine if e["media_id"] == mine[0]["media_id"]]
    ignored_media = client.get("/stats/visitors", params={"media_id": media, "per_page": 5}).json()
    assert ignored_media == client.get("/stats/visitors", params={"per_page": 5}).json()


def test_visitor_filters(client: httpx.Client, fetch_all: Callable[..., list[Any]]) -> None:
    everyone = fetch_all(client, "/stats/visitors")
    named = fetch_all(client, "/stats/visitors", {"filter": "has_email"})
    assert named and all(v["visitor_identity"]["email"] for v in named)
    assert named == [v for v in everyone if v["visitor_identity"]["email"]]
    name = named[0]["visitor_identity"]["name"].split()[0]
    found = fetch_all(client, "/stats/visitors", {"search": name.upper()})
    assert named[0] in found
    assert client.get("/stats/visitors", params={"filter": "bogus"}).status_code == 400


def test_visitors_are_listed_newest_active_first(
    sim: WistiaSimulator, client: httpx.Client, fetch_all: Callable[..., list[Any]]
) -> None:
    everyone = fetch_all(client, "/stats/visitors")
    # last_active_at is the latest visible play; no two plays share a second, so there are no ties
    stamps = [v["last_active_at"][:19] for v in everyone]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == len(stamps)
    assert everyone == sim.ground_truth()["visitors"]
    sim.advance_days(1)  # a visitor active since moves to the head
    head = client.get("/stats/visitors", params={"per_page": 5}).json()
    assert head[0]["last_active_at"][:19] > stamps[0]
