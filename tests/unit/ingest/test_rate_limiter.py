from __future__ import annotations

import threading
import time

import pytest

from wistia_ingest.rate_limiter import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def bucket(rpm: float, burst: int, clock: FakeClock) -> TokenBucket:
    return TokenBucket(rpm, burst, clock=clock, sleep=clock.sleep)


def test_burst_is_served_at_once_then_the_rate_applies() -> None:
    clock = FakeClock()
    limiter = bucket(60, 5, clock)  # 1 per second
    waits = [limiter.acquire() for _ in range(8)]
    assert waits[:5] == [0.0] * 5
    assert waits[5:] == pytest.approx([1.0, 1.0, 1.0])
    assert clock.now == pytest.approx(3.0)


def test_never_exceeds_the_rate_over_any_window() -> None:
    clock = FakeClock()
    rpm, burst = 600.0, 10
    limiter = bucket(rpm, burst, clock)
    granted: list[float] = []
    for i in range(500):
        if i % 50 == 0:
            clock.now += 0.37  # irregular idle gaps refill, but only up to the burst
        limiter.acquire()
        granted.append(clock.now)
    rate = rpm / 60.0
    for window in (0.5, 1.0, 5.0, 20.0):
        for start in granted:
            inside = sum(1 for t in granted if start <= t < start + window)
            assert inside <= burst + window * rate + 1e-9, (window, start, inside)


def test_idle_time_refills_no_more_than_the_burst() -> None:
    clock = FakeClock()
    limiter = bucket(60, 3, clock)
    for _ in range(3):
        limiter.acquire()
    clock.now += 3600  # an hour idle
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 1.0])


def test_thread_safety_each_caller_gets_its_own_slot() -> None:
    clock = FakeClock()  # frozen clock: every wait is a reservation, so slots must be distinct
    sleeps: list[float] = []
    lock = threading.Lock()

    def record_sleep(seconds: float) -> None:
        with lock:
            sleeps.append(seconds)

    limiter = TokenBucket(60, 2, clock=clock, sleep=record_sleep)
    waits: list[float] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        for _ in range(25):
            wait = limiter.acquire()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([0.0, 0.0, *[float(n) for n in range(1, 99)]])
    assert sorted(sleeps) == pytest.approx([float(n) for n in range(1, 99)])


def test_real_clock_threads_respect_the_rate() -> None:
    limiter = TokenBucket(6000, 2)  # 100 per second, real time
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(8):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 32
    assert max(stamps) - start >= (32 - 2) / 100 - 0.02


@pytest.mark.parametrize(("rpm", "burst"), [(0, 1), (-5, 1), (60, 0)])
def test_invalid_settings(rpm: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rpm, burst)
