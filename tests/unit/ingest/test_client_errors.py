from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from wistia_ingest.client import WistiaClient
from wistia_ingest.errors import (
    AuthenticationError,
    FatalAPIError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    RetriableAPIError,
    ServerError,
    ServiceUnavailableError,
    TransientNetworkError,
    UnexpectedStatusError,
)
from wistia_ingest.rate_limiter import TokenBucket

MakeClient = Callable[..., Any]


def sequence(*steps: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    """Answer with each step in turn (raising exceptions), repeating the last one forever."""
    remaining: Iterator[httpx.Response | Exception] = iter(steps)
    last: list[httpx.Response | Exception] = [steps[-1]]

    def handler(request: httpx.Request) -> httpx.Response:
        step = next(remaining, last[0])
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step.status_code, headers=step.headers, content=step.content)

    return handler


OK = httpx.Response(200, json={"load_count": 1, "play_count": 1, "hours_watched": 0.5})


@pytest.mark.parametrize(
    ("status", "body", "error", "hint"),
    [
        (
            401,
            {"code": "unauthorized", "error": "Invalid credentials."},
            AuthenticationError,
            "WISTIA_API_TOKEN",
        ),
        (
            401,
            {"code": "unauthorized_scope", "error": "This token does not have the required scope."},
            AuthenticationError,
            "'Read detailed stats' permission",
        ),
        (403, {"error": "Not allowed"}, AuthenticationError, "plan does not include this API"),
        (404, {"error": "Media not found"}, NotFoundError, "does not exist"),
        (400, {"error": "per_page must be a number"}, InvalidRequestError, "per_page must be a number"),
        (422, {"error": "start_date is invalid"}, InvalidRequestError, "start_date is invalid"),
        (
            422,
            {"errors": {"start_date": ["is not a date"]}},
            InvalidRequestError,
            "start_date: is not a date",
        ),
        (409, {"error": "conflict"}, UnexpectedStatusError, "unexpected status"),
        (418, "teapot", UnexpectedStatusError, "teapot"),
        (302, None, UnexpectedStatusError, "302"),
    ],
)
def test_fatal_statuses_are_raised_at_once(
    make_client: MakeClient, status: int, body: Any, error: type[FatalAPIError], hint: str
) -> None:
    if body is None:
        response = httpx.Response(status, headers={"Location": "https://elsewhere.test/"})
    elif isinstance(body, str):
        response = httpx.Response(status, text=body)
    else:
        response = httpx.Response(status, json=body)
    client, recorder = make_client(sequence(response))
    with pytest.raises(error) as caught:
        client.get_json("/stats/medias/abc")
    assert recorder.count == 1  # never retried
    exc = caught.value
    assert isinstance(exc, FatalAPIError)
    assert (exc.method, exc.path, exc.status_code) == ("GET", "/stats/medias/abc", status)
    assert hint in str(exc)
    assert client.stats.retries == 0


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, RateLimitedError), (503, ServiceUnavailableError), (500, ServerError), (502, ServerError)],
)
def test_retriable_statuses_are_retried_then_succeed(
    make_client: MakeClient, status: int, error: type[RetriableAPIError]
) -> None:
    failure = httpx.Response(status, json={"error": "busy"})
    client, recorder = make_client(sequence(failure, failure, OK))
    assert client.get_json("/stats/account") == {"load_count": 1, "play_count": 1, "hours_watched": 0.5}
    assert recorder.count == 3
    stats = client.stats.as_dict()
    assert stats["requests_sent"] == 3
    assert stats["retries"] == 2
    assert stats["responses_by_status"] == {"200": 1, str(status): 2}


def test_exhausted_retries_say_so(make_client: MakeClient) -> None:
    client, recorder = make_client(sequence(httpx.Response(503, json={"error": "maintenance"})), max_tries=3)
    with pytest.raises(ServiceUnavailableError) as caught:
        client.get_json("/stats/account")
    exc = caught.value
    assert recorder.count == 3
    assert exc.exhausted and exc.attempts == 3
    assert str(exc).startswith("gave up after 3 attempts over ")
    assert "max_tries=3" in str(exc)
    assert "maintenance" in str(exc)
    assert exc.status_code == 503
    assert client.stats.gave_up == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("connection reset"),
    ],
    ids=["read-timeout", "connect-timeout", "connect-error", "truncated-body", "reset"],
)
def test_network_failures_are_retried(make_client: MakeClient, failure: Exception) -> None:
    client, recorder = make_client(sequence(failure, OK))
    assert client.get_json("/stats/account")["load_count"] == 1
    assert recorder.count == 2
    assert client.stats.transport_errors == 1


def test_network_failures_exhausted(make_client: MakeClient) -> None:
    client, recorder = make_client(sequence(httpx.ReadTimeout("timed out")), max_tries=2)
    with pytest.raises(TransientNetworkError) as caught:
        client.get_json("/stats/account")
    assert recorder.count == 2
    assert "gave up after 2 attempts" in str(caught.value)
    assert "read timeout" in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_malformed_json_is_retried_then_surfaced(make_client: MakeClient) -> None:
    truncated = httpx.Response(
        200, content=b'[{"id": 1}, {"id": 2', headers={"Content-Type": "application/json"}
    )
    client, recorder = make_client(sequence(truncated), max_tries=3)
    with pytest.raises(MalformedResponseError) as caught:
        client.get_json("/medias")
    assert recorder.count == 3
    assert "not valid JSON" in str(caught.value)
    assert "gave up after 3 attempts" in str(caught.value)


def test_malformed_json_recovers(make_client: MakeClient) -> None:
    client, recorder = make_client(sequence(httpx.Response(200, text="<html>oops</html>"), OK))
    assert client.get_json("/stats/account")["play_count"] == 1
    assert recorder.count == 2


def test_get_object_rejects_an_array(make_client: MakeClient) -> None:
    client, recorder = make_client(sequence(httpx.Response(200, json=[1, 2])), max_tries=1)
    with pytest.raises(MalformedResponseError, match="expected an object"):
        client.get_object("/stats/account")
    assert recorder.count == 1


def test_429_text_plain_body_is_quoted(make_client: MakeClient) -> None:
    limited = httpx.Response(429, text="Rate limit exceeded, slow down", headers={"Retry-After": "0"})
    client, _ = make_client(sequence(limited), max_tries=2)
    with pytest.raises(RateLimitedError) as caught:
        client.get_json("/stats/account")
    assert "Rate limit exceeded, slow down" in str(caught.value)
    assert caught.value.retry_after == 0


def test_retry_after_floor_is_honoured(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    # The one test that really waits (about 1 s): Retry-After must win over a tiny exponential wait.
    limited = httpx.Response(429, json={"error": "slow down"}, headers={"Retry-After": "1"})
    client, recorder = make_client(sequence(limited, OK))
    with caplog.at_level(logging.WARNING, logger="wistia_ingest.client"):
        assert client.get_json("/stats/account")["load_count"] == 1
    assert recorder.count == 2
    [record] = [r for r in caplog.records if r.name == "wistia_ingest.client"]
    assert record.levelno == logging.WARNING
    assert record.wait_seconds >= 1.0  # type: ignore[attr-defined]
    assert record.status == 429  # type: ignore[attr-defined]
    assert record.attempt == 1  # type: ignore[attr-defined]
    assert record.path == "/stats/account"  # type: ignore[attr-defined]
    assert client.stats.backoff_seconds >= 1.0


def test_retry_after_http_date_in_the_past_means_retry_now(make_client: MakeClient) -> None:
    limited = httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    client, recorder = make_client(sequence(limited, OK))
    client.get_json("/stats/account")
    assert recorder.count == 2
    assert client.stats.backoff_seconds < 0.5


def test_retry_after_beyond_the_limit_gives_up_at_once(make_client: MakeClient) -> None:
    limited = httpx.Response(429, json={"error": "quota"}, headers={"Retry-After": "3600"})
    client, recorder = make_client(sequence(limited, OK), max_retry_after_seconds=120)
    with pytest.raises(RateLimitedError) as caught:
        client.get_json("/stats/account")
    assert recorder.count == 1
    message = str(caught.value)
    assert message.startswith("gave up after 1 attempt over ")
    assert "Retry-After 3600 s exceeds max_retry_after_seconds=120" in message
    assert caught.value.retry_after == 3600


def test_retry_after_beyond_the_time_budget_gives_up(make_client: MakeClient) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "50"})
    client, recorder = make_client(sequence(limited, OK), max_retry_after_seconds=120, max_time_seconds=10)
    with pytest.raises(RateLimitedError, match="left of max_time_seconds"):
        client.get_json("/stats/account")
    assert recorder.count == 1


def test_rate_limiter_is_consulted_before_every_attempt(config_factory: Callable[..., Any]) -> None:
    failure = httpx.Response(500)
    clock = {"now": 0.0}
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock["now"] += seconds

    bucket = TokenBucket(60, 1, clock=lambda: clock["now"], sleep=sleep)
    requests: list[httpx.Request] = []
    handler = sequence(failure, failure, OK)

    def recording(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return handler(request)

    transport = httpx.MockTransport(recording)
    with WistiaClient(config_factory(), transport=transport, rate_limiter=bucket) as client:
        client.get_json("/stats/account")
        assert client.stats.rate_limit_wait_seconds == pytest.approx(2.0)
    assert len(requests) == 3
    assert waits == [1.0, 1.0]  # 3 attempts at 1/s with burst 1: the 2nd and 3rd each wait a second


def test_config_rate_limit_builds_a_bucket(make_client: MakeClient) -> None:
    client, _ = make_client(sequence(OK), requests_per_minute=120, rate_burst=3)
    assert isinstance(client._limiter, TokenBucket)
    assert client._limiter.rate_per_second == 2.0 and client._limiter.burst == 3
    unlimited, _ = make_client(sequence(OK))
    assert unlimited._limiter is None


def test_retries_are_logged_with_structured_fields(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = make_client(sequence(httpx.Response(502), httpx.Response(502), OK))
    with caplog.at_level(logging.DEBUG):
        client.get_json("/stats/medias/abc")
    records = [r for r in caplog.records if r.name == "wistia_ingest.client"]
    assert [r.attempt for r in records] == [1, 2]  # type: ignore[attr-defined]
    for record in records:
        assert record.levelno == logging.WARNING
        assert record.status == 502  # type: ignore[attr-defined]
        assert record.path == "/stats/medias/abc"  # type: ignore[attr-defined]
        assert 0 <= record.wait_seconds <= 0.005  # type: ignore[attr-defined]
        assert record.error_type == "ServerError"  # type: ignore[attr-defined]


def test_a_refused_basic_auth_says_to_use_bearer(make_client: MakeClient) -> None:
    refused = httpx.Response(401, json={"code": "invalid_token", "error": "Invalid credentials."})
    client, recorder = make_client(sequence(refused), auth_scheme="basic")
    with pytest.raises(AuthenticationError) as caught:
        client.get_json("/medias")
    assert recorder.requests[0].headers["authorization"].startswith("Basic ")
    assert "WISTIA_AUTH_SCHEME=bearer" in str(caught.value) and "legacy" in str(caught.value)
    assert recorder.count == 1
