"""The execution input, validated, and the date window it resolves to.

Inputs: `{}` (nightly), `{"mode": "backfill", "start": ..., "end": ..., "media_ids": [...]}`,
`{"dry_run": true}`, `{"full_refresh": true}`, and `{"run_date": "YYYY-MM-DD"}` to run as of another
day (the manual re-run of a missed night). Every refusal says what to change.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from wistia_ingest.errors import WistiaError
from wistia_ingest.run_context import MEDIA_ID_PATTERN, Mode, Window

RETENTION_DAYS = 730  # /stats/events keeps two years, counted back from the current instant


def oldest_complete_day(run_date: dt.date) -> dt.date:
    """The oldest day the API still holds in full (the day 730 days back is already partly gone)."""
    return run_date - dt.timedelta(days=RETENTION_DAYS - 1)


class InvalidRunRequestError(WistiaError):
    """The execution input cannot be run as given."""


class RunRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Mode = "nightly"
    start: dt.date | None = None
    end: dt.date | None = None
    media_ids: tuple[Annotated[str, StringConstraints(pattern=MEDIA_ID_PATTERN)], ...] | None = Field(
        default=None, min_length=1
    )
    dry_run: bool = False
    full_refresh: bool = False
    run_date: dt.date | None = None

    @classmethod
    def parse(cls, payload: Any) -> RunRequest:
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise InvalidRunRequestError(
                f"the execution input must be a JSON object, not {type(payload).__name__}; "
                'use {} for a nightly run or {"mode": "backfill", "start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}'
            )
        try:
            request = cls.model_validate(payload)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'input'}: {error['msg']}"
                for error in exc.errors(include_input=False, include_url=False)
            )
            raise InvalidRunRequestError(
                f"invalid execution input ({problems}); accepted fields: mode (nightly|backfill), start, "
                "end, media_ids, dry_run, full_refresh, run_date"
            ) from None
        if request.mode == "nightly" and (request.start or request.end or request.media_ids):
            raise InvalidRunRequestError(
                'start, end and media_ids belong to backfills: add "mode": "backfill" or remove them'
            )
        if request.mode == "backfill" and (request.start is None or request.end is None):
            raise InvalidRunRequestError('a backfill needs "start" and "end" (YYYY-MM-DD, inclusive)')
        return request


def backfill_window(request: RunRequest, run_date: dt.date) -> Window:
    """The backfill's own window, refused if it is not entirely closed, past days the API still keeps."""
    if request.start is None or request.end is None:
        raise InvalidRunRequestError('a backfill needs "start" and "end" (YYYY-MM-DD, inclusive)')
    last_closed = run_date - dt.timedelta(days=1)
    oldest = oldest_complete_day(run_date)
    if request.start > request.end:
        raise InvalidRunRequestError(
            f"backfill start {request.start} is after end {request.end}; swap them or fix the dates"
        )
    if request.end > last_closed:
        raise InvalidRunRequestError(
            f"backfill end {request.end} is not a closed day yet; the latest day you can backfill on "
            f"{run_date} is {last_closed}"
        )
    if request.start < oldest:
        raise InvalidRunRequestError(
            f"backfill start {request.start} is beyond Wistia's two-year event retention; the oldest day "
            f"available on {run_date} is {oldest}"
        )
    return Window(start=request.start, end=request.end)


def nightly_window(
    run_date: dt.date,
    watermark: dt.date | None,
    *,
    lookback_days: int,
    initial_window_days: int,
) -> Window:
    """From the day after the watermark, minus the lookback, to the last closed day.

    The lookback re-pulls days already merged because events arrive and daily stats settle late; the
    watermark is a closed day that was merged, never the newest record seen. At least the last closed
    day is always in the window.
    """
    end = run_date - dt.timedelta(days=1)
    if watermark is None:
        start = end - dt.timedelta(days=initial_window_days - 1)
    else:
        start = min(watermark, end) + dt.timedelta(days=1) - dt.timedelta(days=lookback_days)
    start = max(min(start, end), oldest_complete_day(run_date))
    return Window(start=start, end=end)
