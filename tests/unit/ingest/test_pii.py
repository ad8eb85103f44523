"""PiiProtector on Wistia's published event and visitor payloads (fixtures/wistia-published-payloads.json)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from wistia_ingest.pii import HASH_PREFIX, PiiProtector

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PAYLOADS = json.loads((FIXTURES / "wistia-published-payloads.json").read_text(encoding="utf-8"))
EVENTS: list[dict[str, Any]] = [entry["payload"] for entry in PAYLOADS["event"]]
VISITORS: list[dict[str, Any]] = [entry["payload"] for entry in PAYLOADS["visitor"]]
HASHED = re.compile(rf"^{re.escape(HASH_PREFIX)}[0-9a-f]{{64}}$")
EVENT_PII = {"ip", "email", "conversion_data", "embed_url"}
KEY = b"unit-test-hmac-key"


@pytest.fixture
def hasher() -> PiiProtector:
    return PiiProtector("hash", KEY)


@pytest.fixture
def dropper() -> PiiProtector:
    return PiiProtector("drop", None)


def absent(value: Any) -> bool:
    return value is None or value == ""


def test_the_fixtures_hold_personal_data_to_protect() -> None:
    assert any(event.get("ip") for event in EVENTS)
    assert any(
        isinstance(event.get("conversion_data"), dict) and event["conversion_data"] for event in EVENTS
    )
    assert any("@" in str(event.get("embed_url")) for event in EVENTS)
    assert any((visitor.get("visitor_identity") or {}).get("org") for visitor in VISITORS)


@pytest.mark.parametrize("index", range(len(EVENTS)))
def test_hash_mode_replaces_event_pii_and_keeps_everything_else(hasher: PiiProtector, index: int) -> None:
    raw = EVENTS[index]
    before = copy.deepcopy(raw)
    protected = hasher.event(raw)

    assert raw == before  # a copy is protected, the input is untouched
    assert {k: v for k, v in protected.items() if k not in EVENT_PII} == {
        k: v for k, v in raw.items() if k not in EVENT_PII
    }
    for field in ("ip", "email"):
        if field in raw:
            assert protected[field] == raw[field] if absent(raw[field]) else HASHED.match(protected[field])
    conversion = raw.get("conversion_data")
    if isinstance(conversion, dict):
        assert set(protected["conversion_data"]) == set(conversion)
        for field, value in conversion.items():
            assert (
                protected["conversion_data"][field] == value
                if absent(value)
                else HASHED.match(protected["conversion_data"][field])
            )
    else:
        assert protected["conversion_data"] == conversion  # "" in the 2012-2014 shape stays ""
    if "@" not in str(raw.get("embed_url")):
        assert protected.get("embed_url") == raw.get("embed_url")


@pytest.mark.parametrize("index", range(len(VISITORS)))
def test_hash_mode_replaces_the_visitor_identity_and_keeps_everything_else(
    hasher: PiiProtector, index: int
) -> None:
    raw = VISITORS[index]
    before = copy.deepcopy(raw)
    protected = hasher.visitor(raw)

    assert raw == before
    rest = {k: v for k, v in raw.items() if k != "visitor_identity"}
    assert {k: v for k, v in protected.items() if k != "visitor_identity"} == rest
    identity, got = raw["visitor_identity"], protected["visitor_identity"]
    assert set(got) == set(identity)
    for field in ("name", "email"):
        assert got[field] == identity[field] if absent(identity[field]) else HASHED.match(got[field])
    if isinstance(identity.get("org"), dict):
        for field, value in identity["org"].items():
            assert got["org"][field] == value if absent(value) else HASHED.match(got["org"][field])


def test_hashes_are_stable_keyed_and_distinct(hasher: PiiProtector) -> None:
    ip_a, ip_b = EVENTS[0]["ip"], EVENTS[1]["ip"]
    assert hasher.event(EVENTS[0])["ip"] == hasher.event(EVENTS[0])["ip"]
    assert PiiProtector("hash", KEY).protect(ip_a) == hasher.protect(ip_a)  # same key, same value: joins work
    assert hasher.protect(ip_a) != hasher.protect(ip_b)
    assert PiiProtector("hash", b"another-key").protect(ip_a) != hasher.protect(ip_a)
    # emails are normalised before hashing, so one person is one value whatever the casing
    assert hasher.protect(" Jim@Example.com ") == hasher.protect("jim@example.com")
    # the same email as event field, conversion field and visitor identity maps to one value
    jim = next(v for v in VISITORS if v["visitor_identity"].get("email") == "jim@example.com")
    assert hasher.visitor(jim)["visitor_identity"]["email"] == hasher.protect("jim@example.com")


def test_emails_in_embed_url_query_values_are_hashed(hasher: PiiProtector) -> None:
    raw = next(event for event in EVENTS if "@" in event["embed_url"])
    protected = hasher.event(raw)["embed_url"]
    assert "@" not in protected and "test@example.com" not in protected
    raw_parts, got_parts = urlsplit(raw["embed_url"]), urlsplit(protected)
    assert (got_parts.scheme, got_parts.netloc, got_parts.path) == (
        raw_parts.scheme,
        raw_parts.netloc,
        raw_parts.path,
    )
    assert parse_qs(got_parts.query) == {"wemail": [hasher.protect("test@example.com")]}


def test_drop_mode_nulls_personal_values_and_leaves_absent_ones(dropper: PiiProtector) -> None:
    for raw in EVENTS:
        protected = dropper.event(raw)
        for field in ("ip", "email"):
            if field in raw:
                assert protected[field] == raw[field] if absent(raw[field]) else protected[field] is None
        if isinstance(raw["conversion_data"], dict):
            for field, value in raw["conversion_data"].items():
                assert protected["conversion_data"][field] == (value if absent(value) else None)
    for raw in VISITORS:
        identity = dropper.visitor(raw)["visitor_identity"]
        for field in ("name", "email"):
            value = raw["visitor_identity"][field]
            assert identity[field] == (value if absent(value) else None)
    url = dropper.event(next(e for e in EVENTS if "@" in e["embed_url"]))["embed_url"]
    assert "@" not in url and parse_qs(urlsplit(url).query, keep_blank_values=True) == {"wemail": [""]}


@pytest.mark.parametrize("value", [None, ""])
def test_absent_values_are_not_personal(hasher: PiiProtector, dropper: PiiProtector, value: Any) -> None:
    assert hasher.protect(value) == value
    assert dropper.protect(value) == value


def test_hash_mode_needs_a_key() -> None:
    with pytest.raises(ValueError, match="HMAC key"):
        PiiProtector("hash", None)
    with pytest.raises(ValueError, match="HMAC key"):
        PiiProtector("hash", b"")
