"""The simulated clock: whole seconds, UTC, forward only."""

from __future__ import annotations

import datetime as dt
import threading

from wistia_simulator.model import DAY


def to_ts(moment: dt.datetime) -> int:
    """Aware datetimes keep their offset; naive ones are read as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def from_ts(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


def parse_instant(raw: str) -> dt.datetime:
    """ISO 8601 instant (`Z` accepted); a bare date means its midnight UTC."""
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {raw!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class SimClock:
    def __init__(self, start_ts: int) -> None:
        self._now = start_ts
        self._lock = threading.Lock()

    @property
    def now_ts(self) -> int:
        return self._now

    @property
    def now(self) -> dt.datetime:
        return from_ts(self._now)

    def advance_days(self, days: int) -> int:
        if days < 0:
            raise ValueError("the simulated clock only moves forward (advance_days must be >= 0)")
        with self._lock:
            self._now += days * DAY
            return self._now

    def set(self, ts: int) -> int:
        with self._lock:
            if ts < self._now:
                raise ValueError(
                    f"the simulated clock only moves forward: {from_ts(ts).isoformat()} is before "
                    f"{from_ts(self._now).isoformat()}"
                )
            self._now = ts
            return self._now
