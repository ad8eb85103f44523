from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from wistia_ingest.models import (
    AccountStats,
    ByDateRow,
    Engagement,
    Event,
    Media,
    MediaStats,
    Project,
    Visitor,
    WistiaModel,
    event_key_from_heatmap_url,
)

MODELS: dict[str, type[WistiaModel]] = {
    "media": Media,
    "media_stats": MediaStats,
    "by_date_row": ByDateRow,
    "engagement": Engagement,
    "visitor": Visitor,
    "event": Event,
    "project": Project,
    "account_stats": AccountStats,
}
_PAYLOADS = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/wistia-published-payloads.json").read_text(
        encoding="utf-8"
    )
)
CASES = [
    (key, index, item["payload"]) for key, items in _PAYLOADS.items() for index, item in enumerate(items)
]


def test_fixture_covers_every_model() -> None:
    assert set(_PAYLOADS) == set(MODELS)
    assert len(CASES) >= 60


@pytest.mark.parametrize(("key", "index", "payload"), CASES, ids=[f"{k}-{i}" for k, i, _ in CASES])
def test_every_published_payload_parses_and_keeps_raw(key: str, index: int, payload: dict[str, Any]) -> None:
    original = copy.deepcopy(payload)
    model = MODELS[key].from_payload(payload)
    assert model.raw == original
    payload["mutated_after_parse"] = True  # raw is a copy, not a view of the caller's dict
    assert "mutated_after_parse" not in model.raw
    payload.pop("mutated_after_parse")
    for name in ("created", "updated", "created_at", "last_active_at", "received_at"):
        stamp = getattr(model, name, None)
        if stamp is not None:
            assert stamp.tzinfo is dt.UTC, (name, stamp)


def _payloads(key: str) -> list[dict[str, Any]]:
    return [copy.deepcopy(item["payload"]) for item in _PAYLOADS[key]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2012-12-12T01:51:36Z", dt.datetime(2012, 12, 12, 1, 51, 36, tzinfo=dt.UTC)),
        ("2025-10-16T20:07:48.000Z", dt.datetime(2025, 10, 16, 20, 7, 48, tzinfo=dt.UTC)),
        ("2013-09-19T15:05:17+00:00", dt.datetime(2013, 9, 19, 15, 5, 17, tzinfo=dt.UTC)),
        ("2014-01-27T17:42:53-05:00", dt.datetime(2014, 1, 27, 22, 42, 53, tzinfo=dt.UTC)),
        ("2014-01-27T22:42:53", dt.datetime(2014, 1, 27, 22, 42, 53, tzinfo=dt.UTC)),
    ],
)
def test_timestamps_end_up_utc_aware(text: str, expected: dt.datetime) -> None:
    visitor = Visitor.from_payload({"visitor_key": "k", "created_at": text})
    assert visitor.created_at == expected
    assert visitor.created_at is not None and visitor.created_at.utcoffset() == dt.timedelta(0)


def test_unreadable_timestamp_is_an_error_but_blank_is_none() -> None:
    with pytest.raises(ValidationError):
        Visitor.from_payload({"visitor_key": "k", "created_at": "yesterday-ish"})
    assert Visitor.from_payload({"visitor_key": "k", "created_at": ""}).created_at is None


def test_2012_events_get_event_key_from_heatmap_url() -> None:
    first, second, modern = _payloads("event")[0], _payloads("event")[1], _payloads("event")[2]
    assert "event_key" not in first
    event = Event.from_payload(first)
    assert event.event_key == "1355282749593f0.12025747820734978"
    assert event.event_key_derived
    assert "event_key" not in event.raw  # derived, never written back into the raw payload
    assert Event.from_payload(second).event_key == "1355282599572f0.725406895391643"
    kept = Event.from_payload(modern)
    assert kept.event_key == "1390862572596e0.8447021404281259"
    assert not kept.event_key_derived


def test_elided_heatmap_key_is_not_derived() -> None:
    assert (
        event_key_from_heatmap_url("https://api.wistia.com/v1/stats/events/.../iframe.html?public_token=...")
        is None
    )
    assert event_key_from_heatmap_url(None) is None
    assert event_key_from_heatmap_url("https://example.com/other") is None
    assert (
        event_key_from_heatmap_url("https://api.wistia.com/modern/stats/events/evt_1/iframe.html") == "evt_1"
    )
    event = Event.from_payload(
        {"iframe_heatmap_url": "https://api.wistia.com/v1/stats/events/.../iframe.html"}
    )
    assert event.event_key is None


def test_redacted_coordinates_become_none() -> None:
    redacted = next(p for p in _payloads("event") if p.get("lat") == "<redacted>")
    event = Event.from_payload(redacted)
    assert event.lat is None and event.lon is None
    assert event.raw["lat"] == "<redacted>"
    assert event.ip == "<redacted>"  # strings stay strings; PII handling is the caller's job
    numeric = Event.from_payload(_payloads("event")[2])
    assert numeric.lat == pytest.approx(47.6103)
    assert numeric.lon == pytest.approx(-122.334)
    assert Event.from_payload({"lat": "41.5", "lon": True}).lat == 41.5
    assert Event.from_payload({"lat": "41.5", "lon": True}).lon is None


def test_conversion_type_int_blank_or_string() -> None:
    events = _payloads("event")
    blank = Event.from_payload(events[0])
    assert blank.conversion_type is None
    assert blank.raw["conversion_type"] == ""
    zero = Event.from_payload(events[1])
    assert zero.conversion_type == 0
    assert isinstance(zero.conversion_type, int)
    labelled = Event.from_payload({**events[2], "conversion_type": "pre-roll email"})
    assert labelled.conversion_type == "pre-roll email"
    assert not blank.has_conversion and not zero.has_conversion


def test_conversion_data_blank_empty_or_object() -> None:
    events = _payloads("event")
    assert Event.from_payload(events[0]).conversion_data is None  # ""
    assert Event.from_payload(events[4]).conversion_data == {
        "email": "test@wistia.com",
        "first_name": "Jeff",
        "last_name": "Vincent",
    }
    assert Event.from_payload(events[7]).conversion_data == {}


def test_event_helpers_and_nested_objects() -> None:
    event = Event.from_payload(_payloads("event")[7])
    assert event.received_day == dt.date(2025, 10, 17)
    assert event.user_agent_details is not None and event.user_agent_details.mobile is True
    with_thumb = Event.from_payload(_payloads("event")[2])
    assert with_thumb.thumbnail is not None and with_thumb.thumbnail.file_size == 32720
    assert with_thumb.thumbnail.content_type == "image/jpeg"


def test_visitors_of_both_key_eras_and_identity_forms() -> None:
    visitors = [Visitor.from_payload(p) for p in _payloads("visitor")]
    keys = {v.visitor_key for v in visitors}
    assert "E4E7613B5C24CB0F1F7C0A1E4E874635E752263E" in keys
    assert "1760645_***redacted***" in keys
    named = visitors[0]
    assert named.is_identified and named.has_email
    blank_strings = visitors[4]  # 2015: "" for unknown identity
    assert blank_strings.visitor_identity is not None and blank_strings.visitor_identity.name == ""
    assert not blank_strings.is_identified
    modern = visitors[-1]
    assert modern.visitor_identity is not None and modern.visitor_identity.name == ""
    assert modern.identifying_event_key is None
    assert not modern.is_identified
    assert modern.user_agent_details is not None and modern.user_agent_details.platform == "iOS (iPhone)"
    assert visitors[5].identifying_event_key == "1390862572596e0.8447021404281259"


def test_numeric_keys_are_kept_as_strings() -> None:
    visitor = Visitor.from_payload({"visitor_key": "k", "identifying_event_key": 1390862572596.8447})
    assert isinstance(visitor.identifying_event_key, str)
    ua = Visitor.from_payload({"visitor_key": "k", "user_agent_details": {"browser_version": 45}})
    assert ua.user_agent_details is not None and ua.user_agent_details.browser_version == "45"


def test_legacy_media_stats_shapes_map_onto_modern_fields() -> None:
    stats = {i: MediaStats.from_payload(p) for i, p in enumerate(_payloads("media_stats"))}
    interactions = stats[1]
    assert interactions.actions is not None and interactions.actions[0].action_count == 24
    assert interactions.actions[0].impression_count == 84
    assert stats[2].actions is not None and stats[2].actions[0].action_count == 24
    nested = stats[3]
    assert nested.is_legacy_shape
    assert (nested.load_count, nested.play_count, nested.visitors) == (147, 46, 20)
    assert nested.play_rate == pytest.approx(0.50)
    assert nested.engagement == pytest.approx(0.23)
    assert nested.hours_watched is None
    assert nested.hashed_id == "g5pnf59ala"
    assert nested.raw["stats"]["averagePercentWatched"] == 23
    assert stats[4].engagement == pytest.approx(0.74)
    modern = stats[5]
    assert not modern.is_legacy_shape
    assert modern.load_count == 110694 and modern.engagement == pytest.approx(0.500445)


def test_draft_account_and_by_date_names() -> None:
    drafts = _payloads("account_stats")
    assert AccountStats.from_payload(drafts[0]).load_count == 1000
    assert AccountStats.from_payload(drafts[0]).play_count == 400
    row = ByDateRow.from_payload(drafts[4])
    assert row.date == dt.date(2012, 10, 9)
    assert (row.load_count, row.play_count) == (100, 80)


def test_by_date_rows() -> None:
    rows = [ByDateRow.from_payload(p) for p in _payloads("by_date_row")]
    assert rows[0].date == dt.date(2012, 10, 21)
    quiet = rows[2]
    assert (quiet.load_count, quiet.play_count, quiet.hours_watched) == (0, 0, 0)
    with pytest.raises(ValidationError):
        ByDateRow.from_payload({"load_count": 1})


def test_engagement_curves() -> None:
    engagement = Engagement.from_payload(_payloads("engagement")[1])
    assert engagement.engagement == 0.75
    assert engagement.engagement_data == [154, 152, 152, 151, 148]
    assert engagement.rewatch_data == [13, 17, 19, 19, 15]
    assert Engagement.from_payload(_payloads("engagement")[0]).rewatch_data is None


def test_projects_camel_case_and_nested_snake_case() -> None:
    projects = [Project.from_payload(p) for p in _payloads("project")]
    first = projects[0]
    assert first.hashed_id == "4d23503f70"
    assert first.media_count == 2
    assert first.public_id == "4bD"
    assert first.anonymous_can_upload is False
    show = projects[4]
    assert show.medias is not None and show.medias[0].hashed_id == "azh1x9nesb"
    media = Media.from_payload(_payloads("media")[1])
    assert media.project is not None and media.project.hashed_id == "ln2k6qwi9k"
    assert media.project_name == "How They Work"
    assert media.project_hashed_id == "ln2k6qwi9k"
    assert any(p.description is None for p in projects)


def test_media_assets_tags_and_extras() -> None:
    medias = [Media.from_payload(p) for p in _payloads("media")]
    zappos = medias[1]
    assert {a.type for a in zappos.assets} >= {"IphoneVideoFile", "HdFlashVideoFile"}
    assert zappos.assets[0].file_size == 267837242 and zappos.assets[0].content_type == "video/mp4"
    modern = medias[-1]
    assert modern.assets[0].file_size == 88985020  # snake_case file_size of the modern API
    assert modern.archived is False
    assert modern.tags == []
    assert modern.project_name is None
    assert modern.model_extra is not None and "subfolder" in modern.model_extra
    embed = medias[6]
    assert embed.embed_code is not None and embed.embed_code.startswith("<object")
    assert medias[0].duration == 126 and medias[0].section == "Trailers"
    tagged = Media.from_payload({"hashed_id": "x", "tags": ["a", {"name": "b"}]})
    assert tagged.tag_names == ["a", "b"]


def test_media_without_hashed_id_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Media.from_payload({"id": 1, "name": "no key"})


def test_models_built_in_code_keep_their_input_as_raw() -> None:
    row = ByDateRow(date=dt.date(2024, 1, 2), load_count=3)
    assert row.raw == {"date": dt.date(2024, 1, 2), "load_count": 3}
    constructed = ByDateRow.model_construct(date=dt.date(2024, 1, 2))
    assert constructed.raw == {"date": "2024-01-02"}
