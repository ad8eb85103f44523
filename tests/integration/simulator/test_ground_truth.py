"""The ground truth equals what HTTP serves, page by page, so a pipeline can be reconciled exactly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx

from wistia_simulator import WistiaSimulator


def _compare_with_http(
    sim: WistiaSimulator, client: httpx.Client, fetch_all: Callable[..., list[Any]]
) -> None:
    truth = sim.ground_truth()
    assert truth["as_of"] == sim.now.isoformat().replace("+00:00", "Z")
    served_medias = fetch_all(client, "/medias")
    live = [
        {k: v for k, v in m.items() if k not in ("deleted", "deleted_at")}
        for m in truth["medias"]
        if not m["deleted"]
    ]
    assert served_medias == live
    assert fetch_all(client, "/projects") == truth["projects"]
    assert fetch_all(client, "/stats/events") == truth["events"]
    assert fetch_all(client, "/stats/visitors") == truth["visitors"]
    assert client.get("/stats/account").json() == truth["account_stats"]
    daily: list[dict[str, Any]] = []
    for media in served_medias:
        hashed = media["hashed_id"]
        assert client.get(f"/stats/medias/{hashed}").json() == truth["media_stats"][hashed]
        assert client.get(f"/stats/medias/{hashed}/engagement").json() == truth["engagement"][hashed]
        rows = client.get(
            f"/stats/medias/{hashed}/by_date", params={"start_date": "2000-01-01", "end_date": "2100-01-01"}
        ).json()
        daily.extend({"media_id": hashed, **row} for row in rows)
    assert daily == truth["daily_stats"]
    assert set(truth["media_stats"]) == {m["hashed_id"] for m in served_medias}


def test_ground_truth_matches_http(
    sim: WistiaSimulator, client: httpx.Client, fetch_all: Callable[..., list[Any]]
) -> None:
    _compare_with_http(sim, client, fetch_all)
    sim.advance_days(2)
    _compare_with_http(sim, client, fetch_all)


def test_ground_truth_is_coherent(sim: WistiaSimulator) -> None:
    truth = sim.ground_truth()
    events = truth["events"]
    for hashed, stats in truth["media_stats"].items():
        rows = [r for r in truth["daily_stats"] if r["media_id"] == hashed]
        assert sum(r["play_count"] for r in rows) == stats["play_count"]
        assert sum(r["load_count"] for r in rows) == stats["load_count"]
        assert sum(1 for e in events if e["media_id"] == hashed) == stats["play_count"]
    for visitor in truth["visitors"]:
        assert visitor["play_count"] == sum(1 for e in events if e["visitor_key"] == visitor["visitor_key"])
        assert visitor["load_count"] >= visitor["play_count"] >= 1
    account = truth["account_stats"]
    assert account["play_count"] == sum(s["play_count"] for s in truth["media_stats"].values())
    deleted = [m for m in truth["medias"] if m["deleted"]]
    assert all(m["deleted_at"] for m in deleted)


def test_past_ground_truth_equals_a_fresh_simulator_at_that_time(
    make_sim: Callable[..., WistiaSimulator],
) -> None:
    origin = dt.date(2026, 10, 21)
    later = make_sim(origin=origin, date=dt.date(2026, 11, 25))
    later.ground_truth()  # caches built at the later instant must not leak into the past
    earlier = make_sim(origin=origin, date=dt.date(2026, 11, 20))
    assert later.ground_truth(as_of=earlier.now) == earlier.ground_truth()
