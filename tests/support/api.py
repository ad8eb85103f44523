"""Shared constants and configs for tests that point the production client at the simulator."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wistia_ingest.config import ClientConfig

TOKEN = "integration-token-5f2c"
CLOCK_DATE = dt.date(2026, 11, 20)


def fast_config(base_url: str, **overrides: Any) -> ClientConfig:
    """Production defaults, with waits shrunk so retry tests take milliseconds, not minutes."""
    options: dict[str, Any] = {
        "base_url": base_url,
        "token": TOKEN,
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 0.05,
        "max_tries": 6,
        "max_time_seconds": 30,
        "read_timeout_seconds": 2,
    }
    options.update(overrides)
    return ClientConfig(**options)
