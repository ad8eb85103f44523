"""A real simulator on 127.0.0.1 and a production client pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from support.api import CLOCK_DATE, TOKEN, fast_config
from wistia_ingest.client import WistiaClient
from wistia_simulator import FaultProfile, SimulatorConfig, WistiaSimulator


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[WistiaSimulator]:
    """One demo account for read-only tests; tests that mutate the simulator use `fresh_sim`."""
    with WistiaSimulator(SimulatorConfig(preset="demo", seed=7, date=CLOCK_DATE, token=TOKEN)) as sim:
        yield sim


@pytest.fixture
def fresh_sim() -> Callable[..., WistiaSimulator]:
    started: list[WistiaSimulator] = []

    def start(faults: str = "none", **overrides: Any) -> WistiaSimulator:
        options: dict[str, Any] = {"preset": "demo", "seed": 7, "date": CLOCK_DATE, "token": TOKEN}
        options.update(overrides)
        sim = WistiaSimulator(SimulatorConfig(faults=FaultProfile.parse(faults), **options))
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def client_for() -> Iterator[Callable[..., WistiaClient]]:
    clients: list[WistiaClient] = []

    def make(sim: WistiaSimulator, **overrides: Any) -> WistiaClient:
        client = WistiaClient(fast_config(sim.base_url, **overrides))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
