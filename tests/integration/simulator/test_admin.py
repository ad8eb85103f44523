"""The /_sim admin API and the Python controls it mirrors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from wistia_simulator import WistiaSimulator


@pytest.fixture
def admin(sim: WistiaSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.admin_url, timeout=30) as client:
        yield client


def test_health_and_clock(sim: WistiaSimulator, admin: httpx.Client) -> None:
    health = admin.get("/health").json()
    assert health["status"] == "ok" and health["preset"] == "demo" and health["seed"] == 7
    assert admin.get("/clock").json() == {
        "now": "2026-11-20T06:00:00Z",
        "date": "2026-11-20",
        "origin": "2026-10-21",
    }
    assert admin.post("/clock", json={"advance_days": 2}).json()["now"] == "2026-11-22T06:00:00Z"
    assert sim.now.isoformat() == "2026-11-22T06:00:00+00:00"
    assert admin.post("/clock", json={"now": "2026-11-23T00:30:00Z"}).json()["now"] == "2026-11-23T00:30:00Z"
    backwards = admin.post("/clock", json={"now": "2026-11-01T00:00:00Z"})
    assert backwards.status_code == 400 and "forward" in backwards.json()["error"]
    assert admin.post("/clock", json={"advance_days": "x"}).status_code == 400
    assert admin.post("/clock", json={}).status_code == 400
    assert admin.get("/nope").status_code == 404


def test_stats_and_reset(sim: WistiaSimulator, client: httpx.Client, admin: httpx.Client) -> None:
    client.get("/medias")
    client.get("/stats/events")
    client.get("/stats/events", headers={"Authorization": "Bearer nope"})
    client.get("/nope")
    stats = admin.get("/stats").json()
    assert stats["total"] == 4
    assert stats["by_route"] == {"(unknown)": 1, "/medias": 1, "/stats/events": 2}
    assert stats["by_status"] == {"200": 2, "401": 1, "404": 1}
    assert stats == sim.stats()
    assert admin.post("/stats/reset").json()["total"] == 0
    assert sim.stats()["total"] == 0


def test_faults_token_and_rate_limit(sim: WistiaSimulator, client: httpx.Client, admin: httpx.Client) -> None:
    assert admin.post("/faults", json={"profile": "http_500@/projects=1"}).status_code == 200
    assert client.get("/projects").status_code == 500
    bad = admin.post("/faults", json={"profile": "explode=1"})
    assert bad.status_code == 400 and "http_500" in bad.json()["error"]
    admin.post("/faults", json={"profile": "none"})
    assert client.get("/projects").status_code == 200
    assert admin.post("/token", json={"token": None}).json() == {"token": "revoked"}
    assert client.get("/projects").status_code == 401
    assert admin.post("/token", json={"token": "fresh"}).status_code == 200
    assert client.get("/projects", headers={"Authorization": "Bearer fresh"}).status_code == 200
    assert admin.post("/token", json={}).status_code == 400
    assert admin.post("/rate-limit", json={"per_minute": 1, "window_seconds": 30}).status_code == 200
    fresh = {"Authorization": "Bearer fresh"}
    assert [client.get("/projects", headers=fresh).status_code for _ in range(2)] == [200, 429]


def test_ground_truth_endpoint(sim: WistiaSimulator, admin: httpx.Client) -> None:
    truth = admin.get("/ground-truth").json()
    assert truth == sim.ground_truth()
    earlier = admin.get("/ground-truth", params={"as_of": "2026-11-10T00:00:00Z"}).json()
    assert earlier["as_of"] == "2026-11-10T00:00:00Z"
    assert len(earlier["events"]) < len(truth["events"])
    assert admin.get("/ground-truth", params={"as_of": "not-a-date"}).status_code == 400


def test_delete_media_mid_run(
    sim: WistiaSimulator, client: httpx.Client, admin: httpx.Client, fetch_all: Callable[..., list[Any]]
) -> None:
    medias = client.get("/medias", params={"per_page": 100}).json()
    victim = max(medias, key=lambda m: client.get(f"/stats/medias/{m['hashed_id']}").json()["play_count"])
    hashed = victim["hashed_id"]
    events_before = fetch_all(client, "/stats/events", {"media_id": hashed})
    assert events_before
    sim.delete_media(hashed)
    for path in ("/medias/", "/stats/medias/", "/stats/medias/{}/by_date", "/stats/medias/{}/engagement"):
        url = path.format(hashed) if "{}" in path else path + hashed
        assert client.get(url).status_code == 404, url
    assert hashed not in {m["hashed_id"] for m in client.get("/medias", params={"per_page": 100}).json()}
    assert fetch_all(client, "/stats/events", {"media_id": hashed}) == events_before  # history stays
    truth = sim.ground_truth()
    entry = next(m for m in truth["medias"] if m["hashed_id"] == hashed)
    assert entry["deleted"] is True and entry["deleted_at"] == "2026-11-20T06:00:00+00:00"
    assert hashed not in truth["media_stats"]
    sim.advance_days(2)
    assert fetch_all(client, "/stats/events", {"media_id": hashed, "start_date": "2026-11-21"}) == []
    with pytest.raises(KeyError):
        sim.delete_media(hashed)
    other = client.get("/medias", params={"per_page": 1}).json()[0]["hashed_id"]
    assert admin.post(f"/medias/{other}/delete").json()["deleted"] == other
    assert client.get(f"/medias/{other}").status_code == 404
