"""Account-wide sliding-window rate limit: 429 text/plain with Retry-After, then it frees up."""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from collections.abc import Callable

import httpx

from wistia_simulator import WistiaSimulator


def test_limit_then_window_frees_up(
    make_sim: Callable[..., WistiaSimulator], make_client: Callable[..., httpx.Client]
) -> None:
    sim = make_sim(rate_limit_per_minute=3, rate_window_seconds=0.5)
    client = make_client(sim)
    other = make_client(sim)  # a second caller shares the account's budget
    assert [client.get("/stats/account").status_code for _ in range(2)] == [200, 200]
    assert other.get("/projects").status_code == 200
    limited = client.get("/medias")
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/plain")
    assert limited.headers["retry-after"] == "1"
    assert limited.text.strip()
    assert other.get("/medias").status_code == 429
    with httpx.Client() as admin:
        assert admin.get(f"{sim.admin_url}/health").status_code == 200  # admin is never limited
    time.sleep(0.55)
    assert client.get("/medias").status_code == 200
    stats = sim.stats()
    assert stats["by_status"] == {"200": 4, "429": 2}
    assert stats["total"] == 6
    assert stats["by_route"]["/medias"] == 3


def test_retry_after_as_http_date(
    make_sim: Callable[..., WistiaSimulator], make_client: Callable[..., httpx.Client]
) -> None:
    sim = make_sim(rate_limit_per_minute=1, rate_window_seconds=30, retry_after_format="http-date")
    client = make_client(sim)
    assert client.get("/stats/account").status_code == 200
    limited = client.get("/stats/account")
    assert limited.status_code == 429
    when = email.utils.parsedate_to_datetime(limited.headers["retry-after"])
    now = dt.datetime.now(dt.UTC)
    assert now + dt.timedelta(seconds=20) < when <= now + dt.timedelta(seconds=32)


def test_reconfigure_at_runtime(sim: WistiaSimulator, client: httpx.Client) -> None:
    sim.set_rate_limit(2, 60)
    assert [client.get("/projects").status_code for _ in range(3)] == [200, 200, 429]
    retry = int(client.get("/projects").headers["retry-after"])
    assert 50 <= retry <= 60
    sim.set_rate_limit(0, 60)
    assert client.get("/projects").status_code == 200
