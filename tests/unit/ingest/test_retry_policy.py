from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from wistia_ingest.errors import NotFoundError, RateLimitedError, ServerError
from wistia_ingest.retry import RetryPolicy, compute_wait, parse_retry_after, wait_generator

NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # in the past: retry now
        ("Wednesday, 21-Oct-15 07:29:00 GMT", 120.0),  # RFC 850 form
        ("Wed, 21 Oct 2015 09:28:00 +0200", 60.0),
        ("", None),
        ("   ", None),
        (None, None),
        ("soon", None),
        ("12 seconds", None),
        ("Thu, 99 Foo 2015 99:99:99 GMT", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_parse_retry_after_accepts_naive_now_as_utc() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=NOW.replace(tzinfo=None)) == 60.0
    other_zone = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=other_zone) == 60.0


def test_compute_wait_is_full_jitter_over_a_capped_exponential() -> None:
    top = [compute_wait(n, base=1.0, cap=60.0, rng=lambda: 1.0) for n in range(1, 9)]
    assert top == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert compute_wait(3, base=1.0, cap=60.0, rng=lambda: 0.25) == 1.0
    assert compute_wait(3, base=1.0, cap=60.0, rng=lambda: 0.0) == 0.0
    assert compute_wait(10_000, base=1.0, cap=60.0, rng=lambda: 1.0) == 60.0  # no overflow


def test_compute_wait_uses_retry_after_as_a_floor() -> None:
    assert compute_wait(1, base=1.0, cap=60.0, retry_after=7.0, rng=lambda: 0.0) == 7.0
    assert compute_wait(1, base=1.0, cap=60.0, retry_after=7.0, rng=lambda: 0.5) == 7.5  # spread above it
    assert compute_wait(6, base=1.0, cap=60.0, retry_after=7.0, rng=lambda: 1.0) == 32.0


def limited(retry_after: float | None) -> RateLimitedError:
    return RateLimitedError("429", method="GET", path="/x", status_code=429, retry_after=retry_after)


def test_wait_generator_receives_exceptions_via_send() -> None:
    gen = wait_generator(base=1.0, cap=10.0, max_retry_after=120.0, remaining=lambda: 300.0, rng=lambda: 1.0)
    gen.send(None)  # priming, as backoff does
    assert gen.send(ServerError("500")) == 1.0
    assert gen.send(ServerError("500")) == 2.0
    assert gen.send(limited(30)) == 31.0  # the floor (plus its spread) beats 4.0
    assert gen.send(limited(0)) == 8.0
    assert gen.send(ServerError("500")) == 10.0  # capped


def test_wait_generator_gives_up_past_max_retry_after() -> None:
    gen = wait_generator(base=1.0, cap=10.0, max_retry_after=120.0, remaining=lambda: 300.0, rng=lambda: 1.0)
    gen.send(None)
    exc = limited(121)
    with pytest.raises(StopIteration):
        gen.send(exc)
    assert exc.giveup_reason is not None and "max_retry_after_seconds=120" in exc.giveup_reason


def test_wait_generator_gives_up_when_retry_after_outlasts_the_time_budget() -> None:
    gen = wait_generator(base=1.0, cap=10.0, max_retry_after=120.0, remaining=lambda: 20.0, rng=lambda: 1.0)
    gen.send(None)
    exc = limited(60)
    with pytest.raises(StopIteration):
        gen.send(exc)
    assert exc.giveup_reason is not None and "20 s left of max_time_seconds" in exc.giveup_reason


def policy(**overrides: float) -> RetryPolicy:
    values: dict[str, float] = {
        "max_tries": 5,
        "max_time_seconds": 30,
        "base_seconds": 0.001,
        "max_seconds": 0.002,
        "max_retry_after_seconds": 120,
    }
    values.update(overrides)
    return RetryPolicy(
        max_tries=int(values["max_tries"]),
        max_time_seconds=values["max_time_seconds"],
        base_seconds=values["base_seconds"],
        max_seconds=values["max_seconds"],
        max_retry_after_seconds=values["max_retry_after_seconds"],
    )


def test_policy_never_retries_fatal_errors() -> None:
    calls = []

    def operation() -> None:
        calls.append(1)
        raise NotFoundError("404", method="GET", path="/x", status_code=404)

    with pytest.raises(NotFoundError):
        policy().call(operation)
    assert len(calls) == 1


def test_policy_reports_each_retry_and_the_final_attempt_count() -> None:
    seen: list[tuple[int, float]] = []

    def operation() -> None:
        raise ServerError("boom", method="GET", path="/x", status_code=500)

    with pytest.raises(ServerError) as caught:
        policy(max_tries=4).call(operation, on_retry=lambda exc, attempt, wait: seen.append((attempt, wait)))
    assert [attempt for attempt, _ in seen] == [1, 2, 3]
    assert all(0 <= wait <= 0.002 for _, wait in seen)
    assert caught.value.attempts == 4
    assert "gave up after 4 attempts" in str(caught.value)


def test_policy_stops_on_max_time() -> None:
    calls = []

    def operation() -> None:
        calls.append(1)
        raise ServerError("boom", method="GET", path="/x", status_code=500)

    with pytest.raises(ServerError) as caught:
        policy(max_tries=10_000, max_time_seconds=0.05, base_seconds=0.01, max_seconds=0.01).call(operation)
    assert 1 < len(calls) < 10_000
    assert "max_time_seconds=0.05 reached" in str(caught.value)


def test_policy_returns_the_value_after_recovering() -> None:
    outcomes = iter([ServerError("boom"), ServerError("boom"), "done"])

    def operation() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert policy().call(operation) == "done"


def test_exhaustion_message_is_only_prefixed_once() -> None:
    exc = ServerError("boom")
    exc.mark_exhausted(attempts=2, elapsed_seconds=1.25, reason="max_tries=2 reached")
    exc.mark_exhausted(attempts=3, elapsed_seconds=9, reason="again")
    assert str(exc) == "gave up after 2 attempts over 1.2 s (max_tries=2 reached); boom"
