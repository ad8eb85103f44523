"""Account-wide sliding-window rate limit (all tokens and callers share it), on wall-clock time."""

from __future__ import annotations

import collections
import email.utils
import math
import threading
import time
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most `limit` accepted requests in any `window` seconds; `limit <= 0` disables it.

    Only accepted requests occupy the window, so a client that waits `Retry-After` gets through.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._accepted: collections.deque[float] = collections.deque()
        self.limit = limit
        self.window = window
        self.configure(limit, window)

    def configure(self, limit: int, window: float) -> None:
        if window <= 0:
            raise ValueError("rate limit window must be > 0 seconds")
        with self._lock:
            self.limit = limit
            self.window = window
            self._accepted.clear()

    def acquire(self) -> float | None:
        """None if the request may proceed, else the seconds until a slot frees up."""
        if self.limit <= 0:
            return None
        with self._lock:
            now = self._clock()
            horizon = now - self.window
            while self._accepted and self._accepted[0] <= horizon:
                self._accepted.popleft()
            if len(self._accepted) < self.limit:
                self._accepted.append(now)
                return None
            return self._accepted[0] + self.window - now


def retry_after_value(seconds: float, fmt: str) -> str:
    """`Retry-After` as whole seconds (ceil, at least 1) or as an HTTP-date that far in the future."""
    whole = max(1, math.ceil(seconds))
    if fmt == "http-date":
        return email.utils.formatdate(time.time() + whole, usegmt=True)
    return str(whole)
