from __future__ import annotations

import datetime as dt
import email.utils

import pytest

from wistia_simulator.ratelimit import SlidingWindowLimiter, retry_after_value


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 60.0, clock)
    for _ in range(3):
        assert limiter.acquire() is None
        clock.now += 1.0
    clock.now += 7.0  # t = 1010
    assert limiter.acquire() == pytest.approx(50.0)
    clock.now += 49.9
    assert limiter.acquire() == pytest.approx(0.1)
    clock.now += 0.1
    assert limiter.acquire() is None  # the first slot expired
    assert limiter.acquire() is not None  # rejected requests do not occupy the window


def test_disabled_and_reconfigured() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(0, 60.0, clock)
    assert all(limiter.acquire() is None for _ in range(1000))
    limiter.configure(1, 0.5)
    assert limiter.acquire() is None and limiter.acquire() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="window"):
        limiter.configure(1, 0)


def test_retry_after_formats() -> None:
    assert retry_after_value(0.01, "seconds") == "1"
    assert retry_after_value(2.2, "seconds") == "3"
    when = email.utils.parsedate_to_datetime(retry_after_value(10, "http-date"))
    delta = when - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=8) < delta <= dt.timedelta(seconds=11)
