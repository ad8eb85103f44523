"""Shared fixtures for the ingestion client tests: a fast-retrying config and a recording MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from wistia_ingest.client import WistiaClient
from wistia_ingest.config import ClientConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOKEN = "tok-SECRET-0123456789abcdef"
BASE_URL = "https://api.example.test/v1"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Wraps a handler and keeps every request it saw."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    @property
    def count(self) -> int:
        return len(self.requests)

    def params(self, index: int) -> dict[str, str]:
        return dict(self.requests[index].url.params)


def fast_config(**overrides: Any) -> ClientConfig:
    """Tiny backoff so retry tests take milliseconds, not seconds."""
    values: dict[str, Any] = {
        "token": TOKEN,
        "base_url": BASE_URL,
        "max_tries": 4,
        "max_time_seconds": 30,
        "backoff_base_seconds": 0.001,
        "backoff_max_seconds": 0.005,
    }
    values.update(overrides)
    return ClientConfig(**values)


@pytest.fixture
def make_client() -> Iterator[Callable[..., tuple[WistiaClient, Recorder]]]:
    clients: list[WistiaClient] = []

    def build(handler: Handler, **overrides: Any) -> tuple[WistiaClient, Recorder]:
        recorder = Recorder(handler)
        client = WistiaClient(fast_config(**overrides), transport=httpx.MockTransport(recorder))
        clients.append(client)
        return client, recorder

    yield build
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def published_payloads() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(
        (FIXTURES / "wistia-published-payloads.json").read_text(encoding="utf-8")
    )
    return data


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def respond() -> Callable[..., httpx.Response]:
    return json_response


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def config_factory() -> Callable[..., ClientConfig]:
    return fast_config
