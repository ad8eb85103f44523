"""Injected faults, each observed over HTTP; decisions are deterministic per request sequence."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from wistia_simulator import FaultProfile, WistiaSimulator


@pytest.fixture
def faulty(
    make_sim: Callable[..., WistiaSimulator], make_client: Callable[..., httpx.Client]
) -> Callable[[str], tuple[WistiaSimulator, httpx.Client]]:
    def factory(spec: str) -> tuple[WistiaSimulator, httpx.Client]:
        sim = make_sim(faults=FaultProfile.parse(spec))
        return sim, make_client(sim)

    return factory


def test_http_500_targets_a_route(faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]]) -> None:
    sim, client = faulty("http_500@/stats/events=1.0")
    response = client.get("/stats/events")
    assert response.status_code == 500 and response.json() == {"error": "Internal server error"}
    assert client.get("/stats/events/whatever").status_code == 500
    assert client.get("/medias").status_code == 200
    assert sim.stats()["by_fault"] == {"http_500": 2}


def test_http_503_and_429_carry_retry_after(
    faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]],
) -> None:
    _, client = faulty("http_503@/v1/medias=1,http_429@/projects=1,retry_after=3")
    unavailable = client.get("/medias")
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "3"
    limited = client.get("/projects")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert limited.headers["content-type"].startswith("text/plain")
    assert client.get("/stats/account").status_code == 200


def test_rate_limit_storm_hits_the_next_requests(
    faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]],
) -> None:
    _, client = faulty("rate_limit_storm@/projects=1,storm_length=3")
    assert client.get("/stats/account").status_code == 200
    assert client.get("/projects").status_code == 429  # starts the storm
    assert [client.get("/medias").status_code for _ in range(4)] == [429, 429, 429, 200]


def test_slow_delays_the_response(faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]]) -> None:
    _, client = faulty("slow@/stats/account=1.0:slow_seconds=0.4")
    started = time.perf_counter()
    assert client.get("/stats/account").status_code == 200
    assert time.perf_counter() - started >= 0.4
    started = time.perf_counter()
    assert client.get("/projects").status_code == 200
    assert time.perf_counter() - started < 0.3


def test_malformed_json(faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]]) -> None:
    _, client = faulty("malformed_json=1.0")
    response = client.get("/medias")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncated_page(faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]]) -> None:
    sim, client = faulty("truncated_page@/stats/events=1.0")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/stats/events", params={"per_page": 100})
    assert client.get("/medias").status_code == 200  # the client reconnects; other routes are fine
    assert sim.stats()["by_fault"] == {"truncated_page": 1}


def test_faults_never_touch_admin_routes(
    faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]],
) -> None:
    sim, client = faulty("http_500=1.0")
    assert client.get("/medias").status_code == 500
    with httpx.Client() as admin:
        assert admin.get(f"{sim.admin_url}/health").json()["status"] == "ok"
        assert admin.get(f"{sim.admin_url}/stats").status_code == 200


def test_decisions_are_deterministic(faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]]) -> None:
    spec = "http_500=0.3,http_429=0.2"
    runs = []
    for _ in range(2):
        _, client = faulty(spec)
        runs.append([client.get("/stats/account").status_code for _ in range(40)])
    assert runs[0] == runs[1]
    assert {200, 500, 429} <= set(runs[0])


def test_mixed_profile_is_mostly_healthy(
    faulty: Callable[[str], tuple[WistiaSimulator, httpx.Client]],
) -> None:
    sim, client = faulty("mixed,slow_seconds=0.01")
    codes = []
    for _ in range(150):
        try:
            codes.append(client.get("/projects").status_code)
        except httpx.HTTPError:
            codes.append(-1)
    assert codes.count(200) > 100
    assert sim.stats()["by_fault"]
