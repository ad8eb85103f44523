from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wistia_local.redaction import mask_ip, mask_key, redact

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def published(kind: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / "wistia-published-payloads.json").read_text(encoding="utf-8"))
    return [item["payload"] for item in data[kind]]


def test_keys_keep_their_era_prefix_only() -> None:
    assert mask_key("1760721_0a81a338-1111-2222-3333-444455556666") == "1760721_***"
    assert mask_key("1390862572596e0.8447021404281259") == "1390862572596_***"
    assert mask_key("E4E7613B5C24CB0F1F7C0A1E4E874635E752263E") == "E4E7***"


def test_ip_keeps_first_octet() -> None:
    assert mask_ip("84.64.82.205") == "84.x.x.x"
    assert mask_ip("2001:db8::1") == "2001:x"


def test_events_lose_every_personal_value_but_keep_their_shape() -> None:
    events = published("event")
    redacted = redact(events)
    for original, masked in zip(events, redacted, strict=True):
        assert set(original) == set(masked)
        assert masked.get("email") is None
        if isinstance(original.get("conversion_data"), dict) and original["conversion_data"]:
            assert masked["conversion_data"]["email"] is None
            assert masked["conversion_data"]["first_name"] == "***"
        text = json.dumps(masked)
        for secret in ("test@example.com", "test@wistia.com", "84.64.82.205", "Jeff", "wemail="):
            assert secret not in text
        assert original["visitor_key"] not in text


def test_visitor_identity_is_masked_and_empty_values_stay_empty() -> None:
    visitors = redact(published("visitor"))
    jim = visitors[0]
    assert jim["visitor_identity"] == {"name": "***", "email": None}
    anonymous = visitors[4]
    assert anonymous["visitor_identity"]["name"] == ""
    assert anonymous["visitor_identity"]["org"] == {"name": "", "title": ""}


def test_media_and_project_names_are_not_personal_data() -> None:
    media = published("media")[1]
    assert redact(media)["name"] == media["name"]
    assert redact(media)["project"]["name"] == media["project"]["name"]
