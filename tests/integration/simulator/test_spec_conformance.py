"""Every endpoint's 200 responses validate against Wistia's published OpenAPI description.

One deliberate deviation: old-era events carry `conversion_data: ""` (real payloads, 2012-2014), which the
spec's `type: object` rejects. The spec is patched for exactly that property (object, or the empty
string) and a test below shows the unpatched spec rejects those events and nothing else.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.response.exceptions import InvalidData
from werkzeug.datastructures import Headers, ImmutableMultiDict

from wistia_simulator import WistiaSimulator

SPEC_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "wistia-openapi-v1.yml"
SPEC_HOST = "https://api.wistia.com"  # the spec's server is https://api.wistia.com/v1


class OpenAPIRequest:
    """openapi-core request protocol over an httpx.Request, re-hosted on the spec's server URL."""

    def __init__(self, request: httpx.Request) -> None:
        parts = urlsplit(str(request.url))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(parts.query)), header=Headers(dict(request.headers))
        )
        self.host_url = SPEC_HOST
        self.path = parts.path
        self.method = request.method.lower()
        self.body: bytes | None = None
        self.content_type = "application/json"


class OpenAPIResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(dict(response.headers))
        self.content_type = response.headers.get("content-type", "")
        self.data: bytes | None = response.content


def _load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@pytest.fixture(scope="module")
def raw_spec() -> dict[str, Any]:
    return _load_spec()


@pytest.fixture(scope="module")
def openapi(raw_spec: dict[str, Any]) -> OpenAPI:
    spec = copy.deepcopy(raw_spec)
    event = spec["components"]["schemas"]["Event"]["properties"]
    original = event["conversion_data"]
    event["conversion_data"] = {"oneOf": [original, {"type": "string", "maxLength": 0}]}
    return OpenAPI.from_dict(spec)


@pytest.fixture
def validate(openapi: OpenAPI) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        openapi.validate_response(OpenAPIRequest(response.request), OpenAPIResponse(response))

    return check


def test_medias_list_and_show(client: httpx.Client, validate: Callable[[httpx.Response], None]) -> None:
    response = client.get("/medias", params={"per_page": 100})
    validate(response)
    medias = response.json()
    assert {m["type"] for m in medias} >= {"Video"}
    assert any(a["type"] == "IphoneVideoFile" for m in medias for a in m.get("assets", []))
    assert all("fileSize" in a and "contentType" in a for m in medias for a in m["assets"])
    assert all(m["created"].endswith("+00:00") for m in medias)
    for media in medias:
        validate(client.get(f"/medias/{media['hashed_id']}"))


def test_projects(client: httpx.Client, validate: Callable[[httpx.Response], None]) -> None:
    response = client.get("/projects", params={"per_page": 100})
    validate(response)
    projects = response.json()
    assert projects and all("hashedId" in p and "mediaCount" in p for p in projects)
    names = " ".join(p["name"] for p in projects)
    assert re.search(r"\bFB\b|Facebook", names) and re.search(r"YouTube|YT", names)


def test_account_and_media_stats(client: httpx.Client, validate: Callable[[httpx.Response], None]) -> None:
    validate(client.get("/stats/account"))
    for media in client.get("/medias", params={"per_page": 100}).json():
        hashed = media["hashed_id"]
        validate(client.get(f"/stats/medias/{hashed}"))
        validate(client.get(f"/stats/medias/{hashed}/engagement"))
        validate(client.get(f"/stats/medias/{hashed}/by_date", params={"start_date": "2026-10-01"}))


def test_visitors_of_both_key_eras(
    client: httpx.Client, fetch_all: Callable[..., list[Any]], validate: Callable[[httpx.Response], None]
) -> None:
    visitors = fetch_all(client, "/stats/visitors")
    for page in (1, 2, 3):
        validate(client.get("/stats/visitors", params={"per_page": 100, "page": page}))
    legacy = [v for v in visitors if re.fullmatch(r"[0-9A-F]{40}", v["visitor_key"])]
    modern = [v for v in visitors if re.fullmatch(r"\d{7}_[0-9a-f-]{36}", v["visitor_key"])]
    identified = [v for v in visitors if v["visitor_identity"]["email"]]
    assert legacy and modern and identified
    assert len(legacy) + len(modern) == len(visitors)
    assert any(v["visitor_identity"]["name"] == "" for v in visitors)
    for visitor in (legacy[0], modern[-1], identified[0]):
        validate(client.get(f"/stats/visitors/{visitor['visitor_key']}"))


def test_events_across_eras(
    client: httpx.Client, fetch_all: Callable[..., list[Any]], validate: Callable[[httpx.Response], None]
) -> None:
    events = fetch_all(client, "/stats/events")
    pages = (len(events) + 99) // 100
    for page in range(1, pages + 1):
        validate(client.get("/stats/events", params={"per_page": 100, "page": page}))
    data_shapes = {type(e["conversion_data"]).__name__ + str(bool(e["conversion_data"])) for e in events}
    assert data_shapes == {"strFalse", "dictFalse", "dictTrue"}  # "", {} and {email, first_name, last_name}
    assert {type(e["conversion_type"]) for e in events} == {str, int}
    legacy = [e for e in events if re.fullmatch(r"\d{13}e0\.\d+", e["event_key"])]
    modern = [e for e in events if re.fullmatch(r"\d{7}_[0-9a-f-]{36}", e["event_key"])]
    assert legacy and modern and len(legacy) + len(modern) == len(events)
    assert all(e["received_at"].endswith("Z") and ".000Z" not in e["received_at"] for e in legacy)
    assert all(e["received_at"].endswith(".000Z") and "user_agent_details" in e for e in modern)
    for event in (legacy[0], modern[0]):
        validate(client.get(f"/stats/events/{event['event_key']}"))


def test_unpatched_spec_rejects_only_the_empty_string_conversion_data(
    raw_spec: dict[str, Any], sim: WistiaSimulator, client: httpx.Client
) -> None:
    strict = OpenAPI.from_dict(raw_spec)
    modern_day = (sim.now.date()).isoformat()
    modern = client.get("/stats/events", params={"per_page": 100, "start_date": modern_day})
    strict.validate_response(OpenAPIRequest(modern.request), OpenAPIResponse(modern))
    legacy = client.get("/stats/events", params={"per_page": 5, "end_date": sim.origin.isoformat()})
    assert legacy.json() and all(e["conversion_data"] == "" for e in legacy.json())
    with pytest.raises(InvalidData) as info:
        strict.validate_response(OpenAPIRequest(legacy.request), OpenAPIResponse(legacy))
    errors = list(getattr(info.value.__cause__, "schema_errors", []))
    assert len(errors) == len(legacy.json())
    assert all(list(error.absolute_path)[-1] == "conversion_data" for error in errors)
    fixed = [dict(e, conversion_data={}) for e in legacy.json()]
    rebuilt = httpx.Response(200, json=fixed, request=legacy.request)
    strict.validate_response(OpenAPIRequest(rebuilt.request), OpenAPIResponse(rebuilt))
