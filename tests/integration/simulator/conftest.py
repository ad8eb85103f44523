"""Fixtures for HTTP tests of the simulator: in-process servers on free loopback ports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from wistia_simulator import SimulatorConfig, WistiaSimulator

DATE = dt.date(2026, 11, 20)
TOKEN = "test-token-123"


@pytest.fixture
def make_sim() -> Iterator[Callable[..., WistiaSimulator]]:
    started: list[WistiaSimulator] = []

    def factory(**overrides: Any) -> WistiaSimulator:
        values: dict[str, Any] = {
            "preset": "demo",
            "seed": 7,
            "date": DATE,
            "token": TOKEN,
            "rate_limit_per_minute": 0,
        }
        values.update(overrides)
        sim = WistiaSimulator(SimulatorConfig(**values)).start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., WistiaSimulator]) -> WistiaSimulator:
    return make_sim()


@pytest.fixture
def make_client() -> Iterator[Callable[..., httpx.Client]]:
    clients: list[httpx.Client] = []

    def factory(sim: WistiaSimulator, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=sim.base_url, headers=headers, timeout=30)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(sim: WistiaSimulator, make_client: Callable[..., httpx.Client]) -> httpx.Client:
    return make_client(sim)


def _fetch_all(
    client: httpx.Client, path: str, params: dict[str, Any] | None = None, per_page: int = 100
) -> list[Any]:
    items: list[Any] = []
    page = 1
    while True:
        response = client.get(path, params={**(params or {}), "page": page, "per_page": per_page})
        assert response.status_code == 200, response.text
        batch = response.json()
        assert isinstance(batch, list)
        items.extend(batch)
        if len(batch) < per_page:
            return items
        page += 1
        assert page < 10_000


@pytest.fixture
def fetch_all() -> Callable[..., list[Any]]:
    """fetch_all(client, path, params=None, per_page=100): every page until a short or empty one."""
    return _fetch_all
