"""Argument types the commands share."""

from __future__ import annotations

import argparse
import datetime as dt


def iso_date(text: str) -> dt.date:
    """An argparse `type` for a day given as YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


QUIRKS_HELP = (
    "behaviours of the real Wistia API for the simulator to show: tz, page_cap, slow_pages, visitor_churn, "
    "bad_record, basic_refused, scope_missing, url_pii, or all (every one but the two auth quirks); "
    "docs/simulator.md (default: none)"
)
