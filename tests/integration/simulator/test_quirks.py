"""Quirks of the real Wistia API, each observed over HTTP; all are off by default."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from wistia_simulator import WistiaSimulator
from wistia_simulator.quirks import Quirks

TOKEN = "test-token-123"
SCOPE_ERROR = {
    "code": "unauthorized_scope",
    "error": "This token does not have the required scope (Read detailed stats).",
}

Factory = Callable[..., tuple[WistiaSimulator, httpx.Client]]


@pytest.fixture
def quirky(make_sim: Callable[..., WistiaSimulator], make_client: Callable[..., httpx.Client]) -> Factory:
    def factory(spec: str, **overrides: Any) -> tuple[WistiaSimulator, httpx.Client]:
        sim = make_sim(quirks=Quirks.parse(spec), **overrides)
        return sim, make_client(sim)

    return factory


def _pages(client: httpx.Client, path: str, params: dict[str, Any], per_page: int) -> list[list[Any]]:
    """Every page until an empty one (a client that trusts a short page would stop too early)."""
    pages = []
    for page in range(1, 10_000):
        response = client.get(path, params={**params, "page": page, "per_page": per_page})
        assert response.status_code == 200, response.text
        batch = response.json()
        if not batch:
            return pages
        pages.append(batch)
    raise AssertionError("no end")


def _utc(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# -- tz -------------------------------------------------------------------------------------------


def test_tz_buckets_event_days_by_the_account_offset(quirky: Factory) -> None:
    sim, client = quirky("tz")
    truth = sim.ground_truth()
    assert truth["event_day_offset_hours"] == -5 and truth["quirks"]["names"] == ["tz"]
    by_local_day: dict[dt.date, list[dict[str, Any]]] = {}
    for day in (dt.date(2026, 11, 14), dt.date(2026, 11, 15), dt.date(2026, 11, 16)):
        params = {"start_date": day.isoformat(), "end_date": day.isoformat()}
        events = [e for page in _pages(client, "/stats/events", params, 100) for e in page]
        lo = dt.datetime(day.year, day.month, day.day, 5, tzinfo=dt.UTC)  # local midnight at UTC-5
        assert events and all(lo <= _utc(e["received_at"]) < lo + dt.timedelta(days=1) for e in events)
        stamps = [e["received_at"] for e in events]
        assert stamps == sorted(stamps, reverse=True)  # still newest first
        assert events == [e for e in truth["events"] if lo <= _utc(e["received_at"]) < lo + dt.timedelta(1)]
        by_local_day[day] = events
    # a UTC day is the tail of its local day and the head of the next one
    utc_day = [e for e in truth["events"] if e["received_at"].startswith("2026-11-15")]
    union = by_local_day[dt.date(2026, 11, 15)] + by_local_day[dt.date(2026, 11, 14)]
    assert [e for e in union if e["received_at"].startswith("2026-11-15")] == utc_day
    # a range is the concatenation of its days; no date filter: everything, as without the quirk
    both = {"start_date": "2026-11-15", "end_date": "2026-11-16"}
    ranged = [e for page in _pages(client, "/stats/events", both, 100) for e in page]
    assert ranged == by_local_day[dt.date(2026, 11, 16)] + by_local_day[dt.date(2026, 11, 15)]
    assert [e for page in _pages(client, "/stats/events", {}, 100) for e in page] == truth["events"]


def test_tz_offset_option_and_visitor_filter(quirky: Factory) -> None:
    sim, client = quirky("tz_offset=3")  # an option turns its quirk on
    assert sim.quirks.event_day_offset_hours == 3
    truth = sim.ground_truth()["events"]
    lo = dt.datetime(2026, 11, 14, 21, tzinfo=dt.UTC)  # 2026-11-15 00:00 at UTC+3
    day = {"start_date": "2026-11-15", "end_date": "2026-11-15"}
    expected = [e for e in truth if lo <= _utc(e["received_at"]) < lo + dt.timedelta(days=1)]
    assert [e for page in _pages(client, "/stats/events", day, 100) for e in page] == expected
    visitor = expected[0]["visitor_key"]
    mine = client.get("/stats/events", params={**day, "visitor_key": visitor, "per_page": 100}).json()
    assert mine == [e for e in expected if e["visitor_key"] == visitor]


# -- page_cap ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/stats/events", "/stats/visitors"])
def test_page_cap_serves_ten_rows_whatever_per_page_asks(quirky: Factory, path: str) -> None:
    sim, client = quirky("page_cap")
    truth = sim.ground_truth()["events" if path == "/stats/events" else "visitors"]
    assert len(client.get(path, params={"per_page": 100}).json()) == 10
    second = client.get(path, params={"per_page": 100, "page": 2}).json()
    assert second == truth[10:20]  # numbered in pages of 10, not of 100
    assert client.get(path, params={"per_page": 7, "page": 2}).json() == truth[7:14]  # below the cap
    pages = _pages(client, path, {}, 100)
    assert all(len(page) == 10 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 10
    assert [row for page in pages for row in page] == truth  # every row exactly once


def test_page_cap_option_on_medias_and_projects(quirky: Factory) -> None:
    sim, client = quirky("page_cap=3")
    truth = sim.ground_truth()
    live = [{k: v for k, v in m.items() if k not in ("deleted", "deleted_at")} for m in truth["medias"]]
    live = [m for m, full in zip(live, truth["medias"], strict=True) if not full["deleted"]]
    for path, expected in (("/medias", live), ("/projects", truth["projects"])):
        pages = _pages(client, path, {}, 100)
        assert [len(p) for p in pages[:-1]] == [3] * (len(pages) - 1)
        assert [row for page in pages for row in page] == expected


# -- slow_pages --------------------------------------------------------------------------------------


def _timed(client: httpx.Client, params: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = client.get("/stats/events", params=params)
    assert response.status_code == 200
    return time.perf_counter() - started


def test_slow_pages_delay_some_big_pages_and_never_small_ones(quirky: Factory) -> None:
    sim, client = quirky("slow_pages,slow_share=0.5,slow_seconds=0.3-0.5")
    big = [_timed(client, {"per_page": 100, "page": n}) for n in range(1, 13)]
    slow = [t for t in big if t >= 0.3]
    assert slow and len(slow) < len(big) and all(t < 1.5 for t in slow)
    # which ones were slow is a function of the seed and the request sequence
    expected = [sim.quirks.slow_delay(sim.config.seed, n, 100) > 0 for n in range(12)]
    assert [t >= 0.3 for t in big] == expected
    small = [_timed(client, {"per_page": 50, "page": n}) for n in range(1, 13)]
    assert all(t < 0.25 for t in small)


def test_a_client_that_gives_up_on_a_slow_page_does_not_break_the_server(
    quirky: Factory, make_client: Callable[..., httpx.Client]
) -> None:
    sim, client = quirky("slow_pages,slow_share=1,slow_seconds=0.6-0.6")
    impatient = httpx.Client(base_url=sim.base_url, headers=client.headers, timeout=0.2)
    with impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get("/stats/events", params={"per_page": 100})
    # another caller is served meanwhile (the delay holds no lock), and afterwards too
    done: list[float] = []
    waiter = threading.Thread(target=lambda: done.append(_timed(client, {"per_page": 100})))
    waiter.start()
    time.sleep(0.1)  # the slow request is in flight
    other = make_client(sim)
    assert _timed(other, {"per_page": 10}) < 0.3
    waiter.join()
    assert done and done[0] >= 0.6
    time.sleep(0.5)  # the abandoned response has been written into a closed connection by now
    assert client.get("/medias").status_code == 200


# -- visitor_churn ------------------------------------------------------------------------------------


def test_churn_moves_an_unread_visitor_to_page_one(quirky: Factory) -> None:
    sim, client = quirky("visitor_churn,churn_share=1")
    base = [v["visitor_key"] for v in sim.ground_truth()["visitors"]]
    head = client.get("/stats/visitors", params={"per_page": 10}).json()
    for _ in range(5):  # page 1 never churns
        assert client.get("/stats/visitors", params={"per_page": 10}).json() == head
    assert [v["visitor_key"] for v in head] == base[:10]
    second = client.get("/stats/visitors", params={"per_page": 10, "page": 2}).json()
    assert [v["visitor_key"] for v in second] == base[10:20]  # served before the promotion
    reread = client.get("/stats/visitors", params={"per_page": 10}).json()
    promoted = reread[0]["visitor_key"]
    assert promoted in base[20:]  # one the scan had not reached
    assert [v["visitor_key"] for v in reread[1:]] == base[:9]
    # later promotions go in front of earlier ones
    client.get("/stats/visitors", params={"per_page": 10, "page": 3})
    head = client.get("/stats/visitors", params={"per_page": 10}).json()
    assert head[1]["visitor_key"] == promoted and base.index(head[0]["visitor_key"]) >= 29
    # promotions persist; the list keeps every visitor once, with unchanged payloads
    sim.set_quirks(Quirks())
    everyone = [v for page in _pages(client, "/stats/visitors", {}, 100) for v in page]
    assert everyone[:2] == head[:2]
    truth = sim.ground_truth()
    assert sorted(everyone, key=lambda v: v["visitor_key"]) == sorted(
        truth["visitors"], key=lambda v: v["visitor_key"]
    )
    assert [v["visitor_key"] for v in truth["visitors"]] == base  # the truth keeps the API's base order


def test_churn_is_deterministic_and_missed_visitors_are_found_by_rereading_the_head(
    quirky: Factory,
) -> None:
    orders = []
    for _ in range(2):
        sim, client = quirky("visitor_churn")  # churn_share 0.3
        seen: dict[str, Any] = {}
        for page in _pages(client, "/stats/visitors", {}, 10):
            seen.update((v["visitor_key"], v) for v in page)
        truth = {v["visitor_key"] for v in sim.ground_truth()["visitors"]}
        missed = truth - set(seen)
        assert missed  # a single front-to-back scan misses the visitors who moved to the head
        while True:  # re-reading page 1 (which never churns) until nothing new converges
            fresh = [
                v
                for v in client.get("/stats/visitors", params={"per_page": 100}).json()
                if v["visitor_key"] not in seen
            ]
            if not fresh:
                break
            seen.update((v["visitor_key"], v) for v in fresh)
        assert set(seen) == truth
        orders.append(
            [v["visitor_key"] for v in client.get("/stats/visitors", params={"per_page": 100}).json()]
        )
    assert orders[0] == orders[1]


# -- bad_record ---------------------------------------------------------------------------------------


def test_bad_records_lack_received_at_and_are_flagged_in_the_truth(quirky: Factory) -> None:
    sim, client = quirky("bad_record")
    served = [e for page in _pages(client, "/stats/events", {}, 100) for e in page]
    truth = sim.ground_truth()["events"]
    bad = [e for e in served if "received_at" not in e]
    assert 0 < len(bad) < len(served) * 0.1
    flagged = [e for e in truth if e.get("quirk_bad_record")]
    assert [e["event_key"] for e in flagged] == [e["event_key"] for e in bad]
    assert all(e["received_at"] for e in flagged)
    assert served == [_served_form(e) for e in truth]
    shown = client.get(f"/stats/events/{bad[0]['event_key']}").json()
    assert "received_at" not in shown and shown == bad[0]


def _served_form(event: dict[str, Any]) -> dict[str, Any]:
    if not event.get("quirk_bad_record"):
        return event
    return {k: v for k, v in event.items() if k not in ("received_at", "quirk_bad_record")}


# -- auth quirks --------------------------------------------------------------------------------------


def test_basic_refused_answers_401_like_a_wrong_token(quirky: Factory) -> None:
    sim, client = quirky("basic_refused")
    with httpx.Client(base_url=sim.base_url) as anonymous:
        refused = anonymous.get("/medias", auth=("api", TOKEN))
        wrong = anonymous.get("/medias", auth=("api", "wrong-password"))
        wrong_bearer = anonymous.get("/medias", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == wrong.status_code == wrong_bearer.status_code == 401
    assert refused.content == wrong.content == wrong_bearer.content
    assert refused.headers["www-authenticate"]
    assert client.get("/medias").status_code == 200  # Bearer, the documented way


def test_scope_missing_refuses_every_stats_route(quirky: Factory) -> None:
    sim, client = quirky("scope_missing")
    medias = client.get("/medias", params={"per_page": 100})
    assert medias.status_code == 200 and client.get("/projects").status_code == 200
    hashed = medias.json()[0]["hashed_id"]
    assert client.get(f"/medias/{hashed}").status_code == 200
    event_key = sim.ground_truth()["events"][0]["event_key"]
    for path in (
        "/stats/account",
        "/stats/events",
        f"/stats/events/{event_key}",
        "/stats/visitors",
        f"/stats/medias/{hashed}",
        f"/stats/medias/{hashed}/by_date",
        f"/stats/medias/{hashed}/engagement",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json() == SCOPE_ERROR and response.headers["www-authenticate"]
    with httpx.Client(base_url=sim.base_url) as wrong:  # a wrong token is still a wrong token
        assert wrong.get("/stats/events", headers={"Authorization": "Bearer nope"}).json()["code"] == (
            "invalid_token"
        )


def test_all_leaves_out_the_auth_quirks(quirky: Factory) -> None:
    sim, client = quirky("all")
    assert "basic_refused" not in sim.quirks and "scope_missing" not in sim.quirks
    assert client.get("/stats/account").status_code == 200
    basic = base64.b64encode(f"api:{TOKEN}".encode()).decode()
    assert client.get("/medias", headers={"Authorization": f"Basic {basic}"}).status_code == 200


# -- url_pii ------------------------------------------------------------------------------------------


def test_url_pii_puts_the_visitors_personal_data_in_embed_urls(quirky: Factory) -> None:
    sim, client = quirky("url_pii")
    served = [e for page in _pages(client, "/stats/events", {}, 100) for e in page]
    assert served == sim.ground_truth()["events"]  # the truth shows the URLs as served
    forms: dict[str, list[dict[str, Any]]] = {"query_email": [], "fragment_email": [], "form_prefill": []}
    for event in served:
        url = event["embed_url"]
        query = parse_qs(urlsplit(url).query)
        if "wemail" in query:
            assert "%40" in url and "@" not in url.split("#")[0]  # percent-encoded
            forms["query_email"].append(event)
        elif "#email=" in url:
            assert "@" in urlsplit(url).fragment
            forms["fragment_email"].append(event)
        elif "first_name" in query:
            assert set(query) >= {"first_name", "last_name", "phone"}
            assert "phone=%2B1" in url and query["phone"][0].startswith("+1")
            forms["form_prefill"].append(event)
        else:
            continue
        if "/resources/" not in url:
            assert "utm_source" in query and "utm_campaign" in query  # the campaign's parameters stay
    assert all(len(found) >= 3 for found in forms.values()), {k: len(v) for k, v in forms.items()}
    assert sum(len(found) for found in forms.values()) < len(served) * 0.15
    # the personal data is the event's visitor's: identified visitors' events agree on the email
    for event in forms["query_email"] + forms["fragment_email"]:
        url = event["embed_url"]
        query = parse_qs(urlsplit(url).query)
        email = query["wemail"][0] if "wemail" in query else unquote(url.split("#email=")[1])
        if event["email"] is not None:
            assert email == event["email"]
    carrying = {e["event_key"] for found in forms.values() for e in found}
    plain = [e["embed_url"] for e in served if e["event_key"] not in carrying]
    assert all("email=" not in url and "phone=" not in url for url in plain)


# -- no quirk -----------------------------------------------------------------------------------------


def _bodies(client: httpx.Client, paths: list[str]) -> list[bytes]:
    out = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200
        out.append(response.content)
    return out


def test_no_quirk_changes_nothing(
    make_sim: Callable[..., WistiaSimulator], make_client: Callable[..., httpx.Client]
) -> None:
    plain = make_sim()
    switched = make_sim(quirks=Quirks.parse("all,basic_refused,scope_missing"))
    switched.set_quirks(Quirks.parse("none"))
    paths = [
        "/medias?per_page=100",
        "/projects?per_page=100",
        "/stats/events?per_page=100&page=2",
        "/stats/events?start_date=2026-11-15&end_date=2026-11-16&per_page=100&page=3",
        "/stats/visitors?per_page=100&page=2",
        "/stats/visitors?per_page=100",
    ]
    assert _bodies(make_client(plain), paths) == _bodies(make_client(switched), paths)
    truth = plain.ground_truth()
    assert truth["quirks"]["names"] == [] and truth["event_day_offset_hours"] == 0
    assert all("received_at" in e and "quirk_bad_record" not in e for e in truth["events"])
    assert not any("email" in e["embed_url"] for e in truth["events"])
    client = make_client(plain)
    assert len(client.get("/stats/events", params={"per_page": 100}).json()) == 100
    day = client.get("/stats/events", params={"start_date": "2026-11-15", "end_date": "2026-11-15"})
    assert all(e["received_at"].startswith("2026-11-15") for e in day.json())
    with httpx.Client(base_url=plain.base_url) as basic:
        assert basic.get("/stats/account", auth=("api", TOKEN)).status_code == 200


def test_admin_reads_and_switches_quirks(sim: WistiaSimulator, client: httpx.Client) -> None:
    with httpx.Client(base_url=sim.admin_url) as admin:
        assert admin.get("/quirks").json()["names"] == []
        assert admin.get("/health").json()["quirks"] == "none"
        described = admin.put("/quirks", json={"spec": "page_cap,tz_offset=-8"}).json()
        assert described["names"] == ["page_cap", "tz"] and described["tz_offset_hours"] == -8
        assert len(client.get("/stats/events", params={"per_page": 100}).json()) == 10
        bad = admin.post("/quirks", json={"spec": "sunspots"})
        assert bad.status_code == 400 and "visitor_churn" in bad.json()["error"]
        assert admin.put("/quirks", json={}).status_code == 400
        assert admin.post("/quirks", json={"spec": "none"}).json()["names"] == []
        assert sim.ground_truth()["quirks"] == sim.quirks.describe()
    assert len(client.get("/stats/events", params={"per_page": 100}).json()) == 100
