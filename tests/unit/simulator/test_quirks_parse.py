"""Quirks.parse: names, `all`, options and errors; decisions are pure functions of their inputs."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from wistia_simulator import SimulatorConfig
from wistia_simulator.quirks import AUTH_QUIRKS, NO_QUIRKS, QUIRKS, Quirks, phone_number, with_pii


def test_nothing_by_default() -> None:
    for spec in ("", "none", "  ", "none,"):
        quirks = Quirks.parse(spec)
        assert quirks.names == frozenset() and not quirks
        assert quirks == NO_QUIRKS == Quirks()
    assert SimulatorConfig().quirks == NO_QUIRKS
    assert Quirks.parse("").spec == "none"


def test_names_all_and_contains() -> None:
    quirks = Quirks.parse("tz, page_cap")
    assert quirks.names == {"tz", "page_cap"} and "tz" in quirks and "url_pii" not in quirks
    everything = Quirks.parse("all")
    assert everything.names == set(QUIRKS) - set(AUTH_QUIRKS)
    assert Quirks.parse("all,scope_missing").names == everything.names | {"scope_missing"}
    assert Quirks.parse("all,basic_refused,scope_missing").names == set(QUIRKS)
    assert Quirks.parse("tz,tz").names == {"tz"}
    assert Quirks.parse("scope_missing").spec == "scope_missing"


def test_options_and_their_defaults() -> None:
    defaults = Quirks.parse("all")
    assert (defaults.tz_offset_hours, defaults.page_cap, defaults.slow_share) == (-5, 10, 0.2)
    assert (defaults.slow_seconds, defaults.churn_share) == ((20.0, 60.0), 0.3)
    quirks = Quirks.parse(
        "all,tz_offset=-8,page_cap=25,slow_share=0.5,slow_seconds=0.3-0.5,churn_share=1,"
        "bad_record_share=0.1,url_pii_share=0"
    )
    assert (quirks.tz_offset_hours, quirks.page_cap, quirks.slow_share) == (-8, 25, 0.5)
    assert (quirks.slow_seconds, quirks.churn_share) == ((0.3, 0.5), 1.0)
    assert (quirks.bad_record_share, quirks.url_pii_share) == (0.1, 0.0)
    assert Quirks.parse("slow_seconds=2").slow_seconds == (2.0, 2.0)
    assert Quirks.parse("tz_offset=+3").tz_offset_hours == 3


def test_an_option_turns_its_quirk_on() -> None:
    assert Quirks.parse("tz_offset=-8").names == {"tz"}
    assert Quirks.parse("page_cap=20").names == {"page_cap"}
    assert Quirks.parse("slow_seconds=1-2").names == {"slow_pages"}
    assert Quirks.parse("churn_share=0.5").names == {"visitor_churn"}


def test_describe_is_json_able() -> None:
    described = Quirks.parse("url_pii,tz,slow_seconds=1-2").describe()
    assert described == {
        "names": ["slow_pages", "tz", "url_pii"],
        "tz_offset_hours": -5,
        "page_cap": 10,
        "slow_share": 0.2,
        "slow_seconds": [1.0, 2.0],
        "churn_share": 0.3,
        "bad_record_share": Quirks().bad_record_share,
        "url_pii_share": Quirks().url_pii_share,
        "spec": "url_pii,tz,slow_seconds=1-2",
    }
    assert NO_QUIRKS.describe()["names"] == []


@pytest.mark.parametrize(
    "spec",
    [
        "sunspots",
        "tz,boom",
        "ALL",
        "tz=1",
        "page_cap=0",
        "page_cap=2.5",
        "tz_offset=-13",
        "tz_offset=east",
        "slow_share=1.5",
        "slow_seconds=60-20",
        "slow_seconds=-1",
        "slow_seconds=a-b",
        "churn_share=-0.1",
        "url_pii_share=lots",
        "speed=3",
    ],
)
def test_errors_list_the_valid_names_and_options(spec: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"invalid quirks {spec!r}")) as info:
        Quirks.parse(spec)
    message = str(info.value)
    assert all(name in message for name in QUIRKS)
    for option in ("tz_offset=HOURS", "page_cap=N", "slow_share=P", "slow_seconds=MIN-MAX", "churn_share=P"):
        assert option in message


def test_slow_decisions() -> None:
    quirks = Quirks.parse("slow_pages,slow_share=0.25,slow_seconds=1-3")
    delays = [quirks.slow_delay(7, n, 100) for n in range(4000)]
    assert delays == [quirks.slow_delay(7, n, 100) for n in range(4000)]
    assert delays != [quirks.slow_delay(8, n, 100) for n in range(4000)]
    slow = [d for d in delays if d > 0]
    assert 0.2 < len(slow) / len(delays) < 0.3 and all(1.0 <= d <= 3.0 for d in slow)
    assert all(quirks.slow_delay(7, n, 50) == 0.0 for n in range(4000))  # 50 rows or fewer: never
    assert all(NO_QUIRKS.slow_delay(7, n, 100) == 0.0 for n in range(100))


def test_churn_decisions() -> None:
    quirks = Quirks.parse("visitor_churn")
    picks = [quirks.churn_pick(7, n, 2, 40) for n in range(4000)]
    assert 0.25 < sum(p is not None for p in picks) / len(picks) < 0.35
    assert all(0 <= p < 40 for p in picks if p is not None)
    assert all(quirks.churn_pick(7, n, 1, 40) is None for n in range(1000))  # page 1 never churns
    assert all(quirks.churn_pick(7, n, 3, 0) is None for n in range(1000))  # nothing unread
    assert all(NO_QUIRKS.churn_pick(7, n, 2, 40) is None for n in range(1000))


def test_record_decisions_depend_on_the_world_and_the_index() -> None:
    quirks = Quirks.parse("bad_record,url_pii")
    bad = [quirks.bad_record("7:demo:2026-10-21", i) for i in range(20000)]
    assert abs(sum(bad) / len(bad) - quirks.bad_record_share) < 0.005
    assert bad != [quirks.bad_record("8:demo:2026-10-21", i) for i in range(20000)]
    forms = [quirks.pii_form("7:demo:2026-10-21", i) for i in range(20000)]
    carrying = [f for f in forms if f is not None]
    assert abs(len(carrying) / len(forms) - quirks.url_pii_share) < 0.01
    assert set(carrying) == {"query_email", "fragment_email", "form_prefill"}
    assert not any(NO_QUIRKS.bad_record("t", i) or NO_QUIRKS.pii_form("t", i) for i in range(1000))


def test_personal_data_in_urls() -> None:
    url = "https://www.northpeak.example/launch?utm_source=youtube&utm_medium=video&utm_campaign=launch"
    who = {"first": "Jane", "last": "Doe", "email": "jane.doe7@example.com", "phone": "+12125550142"}
    query = with_pii(url, "query_email", **who)
    assert query == url + "&wemail=jane.doe7%40example.com"
    assert with_pii(url, "fragment_email", **who) == url + "#email=jane.doe7@example.com"
    form = with_pii("https://www.northpeak.example/resources/x", "form_prefill", **who)
    assert (
        form == "https://www.northpeak.example/resources/x?first_name=Jane&last_name=Doe&phone=%2B12125550142"
    )
    assert parse_qs(urlsplit(form).query)["phone"] == ["+12125550142"]
    phone = phone_number("7:demo:2026-10-21", 12)
    assert re.fullmatch(r"\+1[2-9]\d\d55501\d\d", phone) and phone == phone_number("7:demo:2026-10-21", 12)
