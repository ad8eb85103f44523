"""Same seed + preset + origin + clock => byte-identical responses; the clock only reveals more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx

from wistia_simulator import WistiaSimulator

ORIGIN = dt.date(2026, 10, 21)


def _paths(client: httpx.Client) -> list[str]:
    medias = client.get("/medias", params={"per_page": 100}).json()
    events = client.get("/stats/events", params={"per_page": 3}).json()
    visitors = client.get("/stats/visitors", params={"per_page": 3}).json()
    paths = [
        "/medias?per_page=100&sort_by=updated&sort_direction=0",
        "/projects?per_page=100",
        "/stats/account",
        "/stats/visitors?per_page=100&page=2",
        "/stats/events?per_page=100&page=3",
        "/stats/events?start_date=2026-11-18&end_date=2026-11-18&per_page=100",
        f"/stats/events/{events[0]['event_key']}",
        f"/stats/visitors/{visitors[0]['visitor_key']}",
    ]
    for media in medias:
        hashed = media["hashed_id"]
        paths += [
            f"/medias/{hashed}",
            f"/stats/medias/{hashed}",
            f"/stats/medias/{hashed}/engagement",
            f"/stats/medias/{hashed}/by_date?start_date=2026-10-01&end_date=2026-11-30",
        ]
    return paths


def _bodies(client: httpx.Client, paths: list[str]) -> dict[str, bytes]:
    out = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        out[path] = response.content
    return out


def test_same_inputs_give_identical_bytes(
    make_sim: Callable[..., WistiaSimulator], make_client: Callable[..., httpx.Client]
) -> None:
    first, second = make_client(make_sim()), make_client(make_sim())
    paths = _paths(first)
    assert _bodies(first, paths) == _bodies(second, paths)


def test_a_different_seed_gives_a_different_account(
    make_sim: Callable[..., WistiaSimulator], make_client: Callable[..., httpx.Client]
) -> None:
    seven, eight = make_client(make_sim(seed=7)), make_client(make_sim(seed=8))
    assert seven.get("/medias").content != eight.get("/medias").content
    assert seven.get("/stats/events").content != eight.get("/stats/events").content


def test_advancing_equals_restarting_later_with_the_same_origin(
    make_sim: Callable[..., WistiaSimulator], make_client: Callable[..., httpx.Client]
) -> None:
    advanced = make_sim(origin=ORIGIN)
    advanced_client = make_client(advanced)
    advanced_client.get("/stats/account")  # build caches at the earlier instant first
    advanced.advance_days(4)
    restarted = make_sim(origin=ORIGIN, date=dt.date(2026, 11, 24))
    assert advanced.now == restarted.now
    restarted_client = make_client(restarted)
    paths = _paths(restarted_client)
    assert _bodies(advanced_client, paths) == _bodies(restarted_client, paths)
    assert advanced.ground_truth() == restarted.ground_truth()


def test_the_past_stays_the_same_as_the_clock_moves(sim: WistiaSimulator, client: httpx.Client) -> None:
    medias_before = {m["hashed_id"]: m for m in client.get("/medias", params={"per_page": 100}).json()}
    settled_day = {"start_date": "2026-11-10", "end_date": "2026-11-12", "per_page": 100}
    events_before = client.get("/stats/events", params=settled_day).content
    sim.advance_days(5)
    medias_after = {m["hashed_id"]: m for m in client.get("/medias", params={"per_page": 100}).json()}
    for hashed, media in medias_before.items():
        if hashed not in medias_after:
            continue  # deleted meanwhile (modelled)
        after = medias_after[hashed]
        for field in ("id", "created", "type", "duration", "project", "assets", "thumbnail"):
            assert after.get(field) == media.get(field)
        if after["updated"] == media["updated"]:
            assert after == media
    assert client.get("/stats/events", params=settled_day).content == events_before
