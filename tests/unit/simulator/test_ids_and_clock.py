from __future__ import annotations

import datetime as dt
import re

import pytest

from wistia_simulator import ids
from wistia_simulator.clock import SimClock, parse_instant


def test_identifier_shapes() -> None:
    assert re.fullmatch(r"[0-9a-z]{10}", ids.hashed_id("x", 1))
    assert ids.hashed_id("x", 1) == ids.hashed_id("x", 1) != ids.hashed_id("x", 2)
    assert re.fullmatch(r"[0-9A-F]{40}", ids.legacy_visitor_key("x", 1))
    key = ids.modern_key(1_760_721_893, "x", 1)
    assert re.fullmatch(r"1760721_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    legacy = ids.legacy_event_key(1_390_862_573, "x", 1)
    assert re.fullmatch(r"1390862572\d{3}e0\.\d{10,17}", legacy)
    assert int(legacy.split("e0.")[0]) // 1000 + 1 == 1_390_862_573
    values = [ids.unit_float("u", n) for n in range(1000)]
    assert all(0 <= v < 1 for v in values) and 0.4 < sum(values) / len(values) < 0.6


def test_clock_moves_forward_only() -> None:
    clock = SimClock(1_000_000)
    clock.advance_days(2)
    assert clock.now_ts == 1_000_000 + 2 * 86_400
    with pytest.raises(ValueError, match="forward"):
        clock.set(1_000_000)
    with pytest.raises(ValueError, match="forward"):
        clock.advance_days(-1)
    assert clock.now.tzinfo is dt.UTC


def test_parse_instant() -> None:
    assert parse_instant("2026-11-20T06:00:00Z") == dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
    assert parse_instant("2026-11-20") == dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    assert parse_instant("2026-11-20T08:00:00+02:00") == dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("tomorrow")
