"""Client-side token bucket, so one process stays under its share of Wistia's per-account rate limit.

Wistia's limit (about 600 requests/minute) is shared by every concurrent caller of the account, so a
Lambda should be given `account limit / concurrency`. The bucket reserves a slot under the lock and
sleeps outside it: callers are served in order and the lock is never held while waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`requests_per_minute` sustained, up to `burst` back to back after an idle spell."""

    def __init__(
        self,
        requests_per_minute: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not requests_per_minute > 0:
            raise ValueError("requests_per_minute must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate_per_second = requests_per_minute / 60.0
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()
        self.total_wait_seconds = 0.0

    def acquire(self) -> float:
        """Take one token, blocking until it is available; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate_per_second)
            self._updated = now
            self._tokens -= 1.0  # may go negative: a reservation the caller waits out below
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate_per_second
            self.total_wait_seconds += wait
        if wait > 0:
            self._sleep(wait)
        return wait
