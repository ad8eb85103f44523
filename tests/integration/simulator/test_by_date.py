"""/stats/medias/{id}/by_date: inclusive ranges, explicit zero rows, settling; coherent with totals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from wistia_simulator import WistiaSimulator


def _rows(client: httpx.Client, media: str, start: str, end: str) -> list[dict[str, Any]]:
    response = client.get(f"/stats/medias/{media}/by_date", params={"start_date": start, "end_date": end})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def _medias(client: httpx.Client) -> list[dict[str, Any]]:
    medias: list[dict[str, Any]] = client.get("/medias", params={"per_page": 100}).json()
    return medias


def test_inclusive_range_one_row_per_day(client: httpx.Client) -> None:
    oldest = _medias(client)[0]
    assert oldest["created"] < "2026-11-01"
    rows = _rows(client, oldest["hashed_id"], "2026-11-01", "2026-11-15")
    assert [r["date"] for r in rows] == [
        (dt.date(2026, 11, 1) + dt.timedelta(days=i)).isoformat() for i in range(15)
    ]
    single = _rows(client, oldest["hashed_id"], "2026-11-07", "2026-11-07")
    assert single == [rows[6]]


def test_default_range_is_yesterday_and_today(client: httpx.Client) -> None:
    media = _medias(client)[0]["hashed_id"]
    rows = client.get(f"/stats/medias/{media}/by_date").json()
    assert [r["date"] for r in rows] == ["2026-11-19", "2026-11-20"]


def test_rows_start_at_creation_and_stop_at_the_clock(client: httpx.Client) -> None:
    newest = _medias(client)[-1]
    created = newest["created"][:10]
    rows = _rows(client, newest["hashed_id"], "2020-01-01", "2030-01-01")
    assert rows[0]["date"] == created and rows[-1]["date"] == "2026-11-20"


def test_quiet_days_are_explicit_zero_rows(sim: WistiaSimulator, client: httpx.Client) -> None:
    truth = sim.ground_truth()
    zero = [r for r in truth["daily_stats"] if r["load_count"] == 0]
    assert zero, "the demo account should have quiet days (archived medias)"
    row = zero[0]
    served = _rows(client, row["media_id"], row["date"], row["date"])
    assert served == [{"date": row["date"], "load_count": 0, "play_count": 0, "hours_watched": 0}]
    assert type(served[0]["hours_watched"]) is int
    busy = next(r for r in truth["daily_stats"] if r["play_count"] > 0)
    assert isinstance(busy["hours_watched"], float)


def test_daily_rows_sum_to_media_totals(client: httpx.Client) -> None:
    for media in _medias(client):
        rows = _rows(client, media["hashed_id"], "2026-01-01", "2026-11-20")
        stats = client.get(f"/stats/medias/{media['hashed_id']}").json()
        assert sum(r["load_count"] for r in rows) == stats["load_count"]
        assert sum(r["play_count"] for r in rows) == stats["play_count"]
        assert sum(r["hours_watched"] for r in rows) == pytest.approx(stats["hours_watched"], abs=0.01)
        assert stats["play_count"] <= stats["load_count"]
        assert 0 <= stats["play_rate"] <= 1 and 0 <= stats["engagement"] <= 1


def test_numeric_media_id_works_for_stats(client: httpx.Client) -> None:
    media = _medias(client)[0]
    by_hash = client.get(f"/stats/medias/{media['hashed_id']}").json()
    assert client.get(f"/stats/medias/{media['id']}").json() == by_hash


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-11-31"},
        {"end_date": "11/20/2026"},
        {"start_date": "2026-11-10", "end_date": "2026-11-01"},
    ],
)
def test_bad_dates_are_400(client: httpx.Client, params: dict[str, str]) -> None:
    media = _medias(client)[0]["hashed_id"]
    response = client.get(f"/stats/medias/{media}/by_date", params=params)
    assert response.status_code == 400 and "error" in response.json()


def test_recent_days_settle_and_old_days_do_not_change(sim: WistiaSimulator, client: httpx.Client) -> None:
    medias = [m["hashed_id"] for m in _medias(client)]
    before = {m: _rows(client, m, "2026-11-01", "2026-11-20") for m in medias}
    sim.advance_days(3)
    medias = [m["hashed_id"] for m in _medias(client) if m["hashed_id"] in before]  # some may be deleted
    after = {m: _rows(client, m, "2026-11-01", "2026-11-20") for m in medias}
    old = [r for m in medias for r in before[m] if r["date"] <= "2026-11-15"]
    assert old == [r for m in medias for r in after[m] if r["date"] <= "2026-11-15"]
    for day in ("2026-11-19", "2026-11-20"):
        loads_before = sum(r["load_count"] for m in medias for r in before[m] if r["date"] == day)
        loads_after = sum(r["load_count"] for m in medias for r in after[m] if r["date"] == day)
        plays_before = sum(r["play_count"] for m in medias for r in before[m] if r["date"] == day)
        plays_after = sum(r["play_count"] for m in medias for r in after[m] if r["date"] == day)
        assert loads_after > loads_before and plays_after > plays_before
