from __future__ import annotations

import datetime as dt

import pytest

from wistia_ingest.run_request import (
    InvalidRunRequestError,
    RunRequest,
    backfill_window,
    nightly_window,
)

RUN_DATE = dt.date(2026, 11, 20)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("watermark", "lookback", "expected"),
    [
        (None, 3, ("2026-10-21", "2026-11-19")),  # first run: the initial window (30 days)
        ("2026-11-18", 3, ("2026-11-16", "2026-11-19")),  # one new day plus three re-pulled
        ("2026-11-19", 3, ("2026-11-17", "2026-11-19")),  # re-run of a finished night: only the lookback
        ("2026-11-19", 0, ("2026-11-19", "2026-11-19")),  # never an empty window
        ("2026-11-10", 0, ("2026-11-11", "2026-11-19")),  # missed nights are caught up
        ("2020-01-01", 3, ("2024-11-21", "2026-11-19")),  # never past the two-year retention
    ],
)
def test_nightly_window(watermark: str | None, lookback: int, expected: tuple[str, str]) -> None:
    window = nightly_window(
        RUN_DATE, d(watermark) if watermark else None, lookback_days=lookback, initial_window_days=30
    )
    assert (window.start.isoformat(), window.end.isoformat()) == expected


def test_backfill_window_accepts_closed_days_within_retention() -> None:
    request = RunRequest.parse({"mode": "backfill", "start": "2026-10-01", "end": "2026-10-31"})
    window = backfill_window(request, RUN_DATE)
    assert (window.start, window.end, window.length) == (d("2026-10-01"), d("2026-10-31"), 31)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-10", "2026-11-01", "after end"),
        ("2026-11-15", "2026-11-20", "not a closed day"),
        ("2026-11-15", "2026-12-01", "not a closed day"),
        ("2024-11-01", "2024-11-30", "two-year event retention"),
    ],
)
def test_backfill_window_refusals(start: str, end: str, message: str) -> None:
    request = RunRequest.parse({"mode": "backfill", "start": start, "end": end})
    with pytest.raises(InvalidRunRequestError, match=message):
        backfill_window(request, RUN_DATE)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "must be a JSON object"),
        ({"mode": "weekly"}, "mode"),
        ({"mode": "backfill", "start": "2026-11-01"}, 'needs "start" and "end"'),
        ({"start": "2026-11-01", "end": "2026-11-02"}, '"mode": "backfill"'),
        ({"mode": "backfill", "start": "yesterday", "end": "2026-11-02"}, "start"),
        ({"surprise": True}, "surprise"),
        ({"mode": "backfill", "start": "2026-11-01", "end": "2026-11-02", "media_ids": []}, "media_ids"),
    ],
)
def test_invalid_inputs_say_what_to_change(payload: object, message: str) -> None:
    with pytest.raises(InvalidRunRequestError, match=message):
        RunRequest.parse(payload)


def test_empty_input_is_a_nightly_run() -> None:
    assert RunRequest.parse({}) == RunRequest.parse(None) == RunRequest()
    assert RunRequest().mode == "nightly"


def test_rate_budget_splits_the_account_limit_across_the_map() -> None:
    from wistia_ingest.settings import Settings

    env = {"LAKE_BUCKET": "lake", "STATE_TABLE": "state", "PII_MODE": "drop"}
    assert Settings.from_env(env).per_invocation_rate == 600 * 0.9 / 5
    tuned = Settings.from_env(
        {**env, "WISTIA_ACCOUNT_RATE_LIMIT": "1200", "WISTIA_RATE_SHARE": "0.5", "MAP_MAX_CONCURRENCY": "10"}
    )
    assert tuned.per_invocation_rate == 60.0
    # The whole Map at full concurrency stays under the account limit.
    assert tuned.per_invocation_rate * tuned.map_max_concurrency <= tuned.account_rate_limit


def test_settings_errors_name_the_variable() -> None:
    from wistia_ingest.errors import ConfigError
    from wistia_ingest.settings import Settings

    with pytest.raises(ConfigError, match="LAKE_BUCKET is not set"):
        Settings.from_env({"STATE_TABLE": "state", "PII_MODE": "drop"})
    with pytest.raises(ConfigError, match="LOOKBACK_DAYS is invalid"):
        Settings.from_env(
            {"LAKE_BUCKET": "lake", "STATE_TABLE": "s", "PII_MODE": "drop", "LOOKBACK_DAYS": "x"}
        )
    with pytest.raises(ConfigError, match="PII_KEY_SECRET_ID"):
        Settings.from_env({"LAKE_BUCKET": "lake", "STATE_TABLE": "state"})


def test_steps_that_run_alone_get_the_whole_share() -> None:
    from wistia_ingest.settings import Settings

    settings = Settings.from_env({"LAKE_BUCKET": "lake", "STATE_TABLE": "state", "PII_MODE": "drop"})
    assert settings.exclusive_rate == 540.0
    assert settings.exclusive_rate == settings.per_invocation_rate * settings.map_max_concurrency
