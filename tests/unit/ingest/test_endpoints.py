from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wistia_ingest.errors import FatalAPIError, InvalidRequestError, PayloadValidationError
from wistia_ingest.models import (
    AccountStats,
    ByDateRow,
    Engagement,
    Event,
    Media,
    MediaStats,
    Project,
    Visitor,
)

MakeClient = Callable[..., Any]


def routed(routes: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    """Answer by raw path; list bodies are paged honestly (page/per_page) so iterators terminate."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.split(b"?")[0].decode()
        if path not in routes:
            return httpx.Response(404, json={"error": f"no route {path}"})
        body = routes[path]
        if isinstance(body, list) and "page" in request.url.params:
            page, per_page = int(request.url.params["page"]), int(request.url.params["per_page"])
            body = body[(page - 1) * per_page : page * per_page]
        return httpx.Response(200, json=body)

    return handler


def test_list_endpoints_return_models_and_send_filters(
    make_client: MakeClient, published_payloads: dict[str, list[dict[str, Any]]]
) -> None:
    medias = [item["payload"] for item in published_payloads["media"]]
    projects = [item["payload"] for item in published_payloads["project"]]
    visitors = [item["payload"] for item in published_payloads["visitor"]]
    events = [item["payload"] for item in published_payloads["event"]]
    client, recorder = make_client(
        routed(
            {
                "/v1/medias": medias,
                "/v1/projects": projects,
                "/v1/stats/visitors": visitors,
                "/v1/stats/events": events,
            }
        ),
        per_page=4,
    )
    got_medias = list(
        client.iter_medias(sort_by="updated", sort_direction="desc", project_id="ln2k6qwi9k", archived=False)
    )
    assert [m.hashed_id for m in got_medias] == [m["hashed_id"] for m in medias]
    assert all(isinstance(m, Media) for m in got_medias)
    assert got_medias[0].raw == medias[0]
    first = recorder.params(0)
    assert first == {
        "sort_by": "updated",
        "sort_direction": "0",
        "project_id": "ln2k6qwi9k",
        "archived": "false",
        "page": "1",
        "per_page": "4",
    }

    assert len([p for p in client.iter_projects() if isinstance(p, Project)]) == len(projects)
    assert [v.visitor_key for v in client.iter_visitors()] == [v["visitor_key"] for v in visitors]
    before = recorder.count
    got_events = list(
        client.iter_events(
            start_date=dt.date(2024, 3, 1), end_date=dt.date(2024, 3, 2), media_id="abc", visitor_key="v1"
        )
    )
    assert len(got_events) == len(events) and all(isinstance(e, Event) for e in got_events)
    assert got_events[0].event_key_derived
    params = recorder.params(before)
    assert params["start_date"] == "2024-03-01" and params["end_date"] == "2024-03-02"
    assert params["media_id"] == "abc" and params["visitor_key"] == "v1"


def test_show_and_stats_endpoints(
    make_client: MakeClient, published_payloads: dict[str, list[dict[str, Any]]]
) -> None:
    pick = {key: items[0]["payload"] for key, items in published_payloads.items()}
    client, recorder = make_client(
        routed(
            {
                "/v1/medias/abc123": pick["media"],
                "/v1/stats/account": pick["account_stats"],
                "/v1/stats/medias/abc123": pick["media_stats"],
                "/v1/stats/medias/abc123/engagement": pick["engagement"],
                "/v1/stats/medias/abc123/by_date": [r["payload"] for r in published_payloads["by_date_row"]],
                "/v1/stats/visitors/E4E7613B5C24CB0F1F7C0A1E4E874635E752263E": pick["visitor"],
                "/v1/stats/events/1390862572596e0.8447021404281259": published_payloads["event"][2][
                    "payload"
                ],
            }
        )
    )
    assert isinstance(client.get_media("abc123"), Media)
    assert isinstance(client.get_account_stats(), AccountStats)
    assert client.get_media_stats("abc123").play_count == 80
    assert isinstance(client.get_media_stats("abc123"), MediaStats)
    assert isinstance(client.get_media_engagement("abc123"), Engagement)
    rows = client.get_media_by_date("abc123", dt.date(2012, 10, 21), dt.date(2012, 10, 22))
    assert all(isinstance(r, ByDateRow) for r in rows) and len(rows) == 5
    by_date_request = recorder.requests[-1]
    assert dict(by_date_request.url.params) == {"start_date": "2012-10-21", "end_date": "2012-10-22"}
    assert isinstance(client.get_visitor("E4E7613B5C24CB0F1F7C0A1E4E874635E752263E"), Visitor)
    assert (
        client.get_event("1390862572596e0.8447021404281259").event_key == "1390862572596e0.8447021404281259"
    )
    assert all(request.url.path.startswith("/v1/") for request in recorder.requests)


def test_path_segments_are_quoted(make_client: MakeClient) -> None:
    client, recorder = make_client(lambda request: httpx.Response(200, json={"visitor_key": "x"}))
    client.get_visitor("1760645_***red acted/../x?y#z")
    raw_path = recorder.requests[0].url.raw_path.decode()
    assert raw_path == "/v1/stats/visitors/1760645_%2A%2A%2Ared%20acted%2F..%2Fx%3Fy%23z"
    for bad in ("", ".", ".."):
        with pytest.raises(ValueError):
            client.get_media(bad)
    assert recorder.count == 1


def test_reversed_window_is_left_to_the_server(make_client: MakeClient) -> None:
    answer = httpx.Response(422, json={"error": "start_date must be on or before end_date"})
    client, recorder = make_client(lambda request: answer)
    with pytest.raises(InvalidRequestError) as caught:
        list(client.iter_events(start_date=dt.date(2024, 1, 2), end_date=dt.date(2024, 1, 1)))
    assert caught.value.status_code == 422
    assert "start_date must be on or before end_date" in str(caught.value)
    with pytest.raises(InvalidRequestError):
        client.get_media_by_date("abc", dt.date(2024, 1, 2), dt.date(2024, 1, 1))
    assert recorder.count == 2


@pytest.mark.parametrize(("direction", "sent"), [("desc", "0"), (0, "0"), ("asc", "1"), (1, "1")])
def test_sort_direction_names_or_codes(make_client: MakeClient, direction: Any, sent: str) -> None:
    client, recorder = make_client(lambda request: httpx.Response(200, json=[]))
    list(client.iter_medias(sort_by="updated", sort_direction=direction))
    assert recorder.params(0)["sort_direction"] == sent


@pytest.mark.parametrize("direction", ["down", 2, True])
def test_bad_sort_direction(make_client: MakeClient, direction: Any) -> None:
    client, recorder = make_client(lambda request: httpx.Response(200, json=[]))
    with pytest.raises(ValueError, match="sort_direction"):
        list(client.iter_medias(sort_direction=direction))
    assert recorder.count == 0


def test_datetime_is_not_a_date_parameter(make_client: MakeClient) -> None:
    client, _ = make_client(lambda request: httpx.Response(200, json=[]))
    with pytest.raises(TypeError, match="takes a date"):
        list(client.iter_pages("/stats/events", {"start_date": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}))


def test_unmodellable_payload_is_fatal_and_not_retried(make_client: MakeClient) -> None:
    client, recorder = make_client(
        lambda request: httpx.Response(
            200, json=[{"id": 1, "name": "no hashed id"}] if request.url.params["page"] == "1" else []
        )
    )
    with pytest.raises(PayloadValidationError) as caught:
        list(client.iter_medias())
    assert isinstance(caught.value, FatalAPIError)
    assert recorder.count == 1  # the model check fails on the first page, before any other request
    assert "hashed_id" in str(caught.value)
    assert "no hashed id" not in str(caught.value)  # inputs (possibly PII) stay out of messages
    pages = list(client.iter_media_pages())  # the raw pages still come through for bronze
    assert pages == [[{"id": 1, "name": "no hashed id"}]]


def test_stats_snapshot_and_context_manager(make_client: MakeClient) -> None:
    client, _ = make_client(lambda request: httpx.Response(200, json={}))
    client.get_json("/stats/account")
    client.get_json("/stats/account")
    assert client.stats.as_dict() == {
        "requests_sent": 2,
        "retries": 0,
        "gave_up": 0,
        "transport_errors": 0,
        "backoff_seconds": 0.0,
        "rate_limit_wait_seconds": 0.0,
        "responses_by_status": {"200": 2},
    }
    with client as same:
        assert same is client
    with pytest.raises(RuntimeError):
        client.get_json("/stats/account")  # closed: the pool is gone
