"""Every failure the simulator can produce is retried to a complete, correct result or surfaced clearly."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Callable

import pytest

from support.api import TOKEN, fast_config
from wistia_ingest.client import WistiaClient
from wistia_ingest.errors import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
    TransientNetworkError,
    WistiaError,
)
from wistia_simulator import WistiaSimulator

SimFactory = Callable[..., WistiaSimulator]
ClientFactory = Callable[..., WistiaClient]
DAY = dt.date(2026, 11, 18)


def event_keys(client: WistiaClient, day: dt.date = DAY) -> list[str]:
    return [event.event_key for event in client.iter_events(start_date=day, end_date=day)]


def truth_keys(sim: WistiaSimulator, day: dt.date = DAY) -> list[str]:
    events = [e for e in sim.ground_truth()["events"] if e["received_at"].startswith(day.isoformat())]
    return [e["event_key"] for e in events]


@pytest.mark.parametrize(
    "faults",
    [
        "http_500=0.4",
        "http_503=0.3",
        "http_429=0.3",
        "malformed_json=0.4",
        "truncated_page=0.4",
        "rate_limit_storm=0.3",
    ],
)
def test_transient_faults_are_retried_to_the_complete_result(
    fresh_sim: SimFactory, client_for: ClientFactory, faults: str
) -> None:
    sim = fresh_sim(faults)
    client = client_for(sim, per_page=10, max_tries=12)

    keys = event_keys(client)

    assert keys == truth_keys(sim)
    assert len(keys) > 10, "the day must span several pages for the test to mean anything"
    assert client.stats.as_dict()["retries"] > 0, "no fault was injected"


def test_slow_responses_time_out_and_are_retried(fresh_sim: SimFactory, client_for: ClientFactory) -> None:
    sim = fresh_sim("slow=0.3:slow_seconds=1.5")
    client = client_for(sim, per_page=10, read_timeout_seconds=0.3, max_tries=12)
    assert event_keys(client) == truth_keys(sim)


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        ("http_500=1.0", ServerError),
        ("http_503=1.0", ServiceUnavailableError),
        ("malformed_json=1.0", MalformedResponseError),
        ("truncated_page=1.0", TransientNetworkError),
    ],
)
def test_persistent_faults_surface_after_bounded_tries(
    fresh_sim: SimFactory, client_for: ClientFactory, faults: str, error: type[WistiaError]
) -> None:
    sim = fresh_sim(faults)
    client = client_for(sim, max_tries=3)
    with pytest.raises(error) as raised:
        client.get_account_stats()
    assert "3" in str(raised.value), "the message says how many attempts were made"
    assert sim.stats()["total"] == 3


def test_rate_limit_without_client_limiter_is_retried_with_retry_after(
    fresh_sim: SimFactory, client_for: ClientFactory
) -> None:
    sim = fresh_sim()
    sim.set_rate_limit(5, 1.0)
    client = client_for(sim, per_page=10, max_tries=10)
    assert event_keys(client) == truth_keys(sim)
    assert sim.stats()["by_status"].get("429", 0) > 0


def test_client_side_limiter_keeps_the_run_under_the_server_limit(
    fresh_sim: SimFactory, client_for: ClientFactory
) -> None:
    sim = fresh_sim()
    sim.set_rate_limit(20, 1.0)
    client = client_for(sim, per_page=5, requests_per_minute=15 * 60, rate_burst=5)
    assert event_keys(client) == truth_keys(sim)
    assert sim.stats()["by_status"].get("429", 0) == 0


def test_rate_limit_longer_than_the_budget_gives_up_clearly(
    fresh_sim: SimFactory, client_for: ClientFactory
) -> None:
    sim = fresh_sim()
    sim.set_rate_limit(1, 600.0)
    client = client_for(sim, max_retry_after_seconds=5)
    client.get_account_stats()
    with pytest.raises(RateLimitedError, match=r"(?i)retry-after"):
        client.get_account_stats()


def test_wrong_token_is_fatal_and_not_retried(fresh_sim: SimFactory, client_for: ClientFactory) -> None:
    sim = fresh_sim()
    client = client_for(sim, token="not-the-token")
    with pytest.raises(AuthenticationError) as raised:
        client.get_account_stats()
    assert sim.stats()["total"] == 1
    assert "not-the-token" not in str(raised.value)
    assert "WISTIA_API_TOKEN" in str(raised.value) or "token" in str(raised.value).lower()


def test_basic_auth_is_accepted(shared_sim: WistiaSimulator, client_for: ClientFactory) -> None:
    stats = client_for(shared_sim, auth_scheme="basic").get_account_stats()
    assert stats.play_count is not None


def test_token_revoked_mid_listing_stops_the_listing(
    fresh_sim: SimFactory, client_for: ClientFactory
) -> None:
    sim = fresh_sim()
    client = client_for(sim, per_page=5)
    events = client.iter_events(start_date=DAY, end_date=DAY)
    first = next(events)
    assert first.event_key
    sim.revoke_token()
    with pytest.raises(AuthenticationError):
        list(events)


def test_media_deleted_mid_run_is_not_found(fresh_sim: SimFactory, client_for: ClientFactory) -> None:
    sim = fresh_sim()
    client = client_for(sim)
    media = next(iter(client.iter_medias()))
    client.get_media_stats(media.hashed_id)
    sim.delete_media(media.hashed_id)
    before = sim.stats()["total"]
    with pytest.raises(NotFoundError):
        client.get_media_stats(media.hashed_id)
    assert sim.stats()["total"] - before == 1, "a 404 is not retried"


def test_invalid_event_window_is_rejected_with_the_servers_reason(
    shared_sim: WistiaSimulator, client_for: ClientFactory
) -> None:
    client = client_for(shared_sim)
    with pytest.raises(InvalidRequestError) as raised:
        list(client.iter_events(start_date=DAY, end_date=DAY - dt.timedelta(days=1)))
    assert raised.value.status_code == 422


def test_unreachable_api_fails_with_a_network_error(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = fast_config(f"http://127.0.0.1:{port}/v1", max_tries=2)
    caplog.set_level(logging.DEBUG)
    with WistiaClient(config) as client, pytest.raises(TransientNetworkError) as raised:
        client.get_account_stats()
    assert "127.0.0.1" in str(raised.value) or "connect" in str(raised.value).lower()
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("retry_after_format", ["seconds", "http-date"])
def test_retry_after_in_either_form_is_honoured(
    fresh_sim: SimFactory, client_for: ClientFactory, retry_after_format: str
) -> None:
    sim = fresh_sim(retry_after_format=retry_after_format)
    sim.set_rate_limit(2, 1.0)
    client = client_for(sim, max_tries=5)
    for _ in range(4):
        client.get_account_stats()
    stats = client.stats.as_dict()
    assert stats["responses_by_status"].get("429", 0) >= 1
    # Retries waited for the server's window instead of hammering it: few 429s per success.
    assert stats["responses_by_status"]["429"] <= 4
    assert stats["backoff_seconds"] > 0.3
