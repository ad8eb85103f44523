"""Retry policy: exponential backoff with full jitter, bounded in tries and time, Retry-After as a floor.

Built on `backoff.on_exception`. backoff 2.x `send`s each caught exception into the wait generator, so the
generator sees the server's Retry-After and can floor the wait on it, or stop (give up) when the server
asks for longer than we are willing or able to wait. Jitter is applied here (the decorator gets
`jitter=None`) so the floor is never jittered away.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import backoff

from wistia_ingest.config import ClientConfig
from wistia_ingest.errors import RetriableAPIError

logger = logging.getLogger("wistia_ingest.client")

T = TypeVar("T")
WaitGenerator = Generator[float, BaseException | None, None]
_DELAY_SECONDS = re.compile(r"^\d+(\.\d+)?$")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date; None if absent or invalid.

    Dates in the past (and negative numbers) give 0: the server says "now is fine".
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _DELAY_SECONDS.match(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    if text.startswith("-") and _DELAY_SECONDS.match(text[1:]):
        return 0.0
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; parsedate_to_datetime leaves "-0000" naive
        when = when.replace(tzinfo=UTC)
    reference = now if now is not None else datetime.now(UTC)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    return max(0.0, (when - reference).total_seconds())


def compute_wait(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> float:
    """Wait before retry number `attempt` (1-based): full jitter over min(cap, base*2^(attempt-1)),
    never less than the server's Retry-After plus up to `base` of jitter: callers told the same
    Retry-After (a 429 storm hits every concurrent Lambda at once) must not all come back in lockstep."""
    ceiling = min(cap, base * 2.0 ** min(max(attempt - 1, 0), 62))
    jitter = rng()
    wait = jitter * ceiling
    if retry_after is not None:
        wait = max(wait, retry_after + jitter * min(base, ceiling))
    return wait


def wait_generator(
    *,
    base: float,
    cap: float,
    max_retry_after: float,
    remaining: Callable[[], float],
    rng: Callable[[], float] = random.random,
) -> WaitGenerator:
    """The backoff wait generator. Receives each exception via `send`; returning gives up.

    Gives up (and says why on the exception) when Retry-After exceeds `max_retry_after` or the time
    budget left: retrying earlier than the server allows would only burn an attempt on another 429.
    """
    attempt = 0
    exc = yield 0.0  # primed by backoff with send(None)
    while True:
        attempt += 1
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            if retry_after > max_retry_after:
                _set_reason(
                    exc,
                    f"Retry-After {retry_after:.0f} s exceeds max_retry_after_seconds={max_retry_after:g}",
                )
                return
            left = remaining()
            if retry_after > left:
                _set_reason(
                    exc,
                    f"Retry-After {retry_after:.0f} s exceeds the {max(left, 0.0):.0f} s left of "
                    "max_time_seconds",
                )
                return
        exc = yield compute_wait(attempt, base=base, cap=cap, retry_after=retry_after, rng=rng)


def _set_reason(exc: BaseException | None, reason: str) -> None:
    if isinstance(exc, RetriableAPIError):
        exc.giveup_reason = reason


@dataclass(frozen=True)
class RetryPolicy:
    """How one logical request is retried. `on_retry(exc, attempt, wait)` lets the client count retries."""

    max_tries: int
    max_time_seconds: float
    base_seconds: float
    max_seconds: float
    max_retry_after_seconds: float
    rng: Callable[[], float] = random.random
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def from_config(cls, config: ClientConfig) -> RetryPolicy:
        return cls(
            max_tries=config.max_tries,
            max_time_seconds=config.max_time_seconds,
            base_seconds=config.backoff_base_seconds,
            max_seconds=config.backoff_max_seconds,
            max_retry_after_seconds=config.max_retry_after_seconds,
        )

    def call(
        self,
        operation: Callable[[], T],
        *,
        on_retry: Callable[[RetriableAPIError, int, float], None] | None = None,
    ) -> T:
        """Run `operation`, retrying RetriableAPIError; fatal errors pass straight through."""
        start = self.clock()

        def remaining() -> float:
            return self.max_time_seconds - (self.clock() - start)

        def should_give_up(exc: Exception) -> bool:
            retry_after = getattr(exc, "retry_after", None)
            if retry_after is not None and retry_after > self.max_retry_after_seconds:
                _set_reason(
                    exc,
                    f"Retry-After {retry_after:.0f} s exceeds "
                    f"max_retry_after_seconds={self.max_retry_after_seconds:g}",
                )
                return True
            return False

        def log_backoff(details: Any) -> None:
            exc = details["exception"]
            attempt = int(details["tries"])
            wait = float(details["wait"])
            logger.warning(
                "retrying %s %s in %.2f s after attempt %d: %s",
                exc.method,
                exc.path,
                wait,
                attempt,
                type(exc).__name__,
                extra={
                    "method": exc.method,
                    "path": exc.path,
                    "status": exc.status_code,
                    "attempt": attempt,
                    "wait_seconds": round(wait, 3),
                    "retry_after": exc.retry_after,
                    "error_type": type(exc).__name__,
                },
            )
            if on_retry is not None:
                on_retry(exc, attempt, wait)

        def mark_giveup(details: Any) -> None:
            exc = details["exception"]
            attempts = int(details["tries"])
            if exc.giveup_reason:
                reason = exc.giveup_reason
            elif attempts >= self.max_tries:
                reason = f"max_tries={self.max_tries} reached"
            else:
                reason = f"max_time_seconds={self.max_time_seconds:g} reached"
            exc.mark_exhausted(attempts=attempts, elapsed_seconds=self.clock() - start, reason=reason)
            logger.error(
                "giving up on %s %s after %d attempts: %s",
                exc.method,
                exc.path,
                attempts,
                type(exc).__name__,
                extra={
                    "method": exc.method,
                    "path": exc.path,
                    "status": exc.status_code,
                    "attempt": attempts,
                    "error_type": type(exc).__name__,
                    "reason": reason,
                },
            )

        retrying = backoff.on_exception(
            wait_generator,
            RetriableAPIError,
            max_tries=self.max_tries,
            max_time=self.max_time_seconds,
            jitter=None,
            giveup=should_give_up,
            on_backoff=log_backoff,
            on_giveup=mark_giveup,
            raise_on_giveup=True,
            logger=None,
            base=self.base_seconds,
            cap=self.max_seconds,
            max_retry_after=self.max_retry_after_seconds,
            remaining=lambda: remaining,
            rng=lambda: self.rng,
        )(operation)
        result: T = retrying()
        return result
