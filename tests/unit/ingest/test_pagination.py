from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wistia_ingest.client import WistiaClient
from wistia_ingest.errors import FatalAPIError, MalformedResponseError, PaginationLimitError
from wistia_ingest.pagination import PageRequest, iter_pages

MakeClient = Callable[..., Any]


def paged_server(total: int, *, default_per_page: int = 10) -> Callable[[httpx.Request], httpx.Response]:
    """Serves `total` items the way Wistia does: per_page defaults to 10 and is capped at 100."""
    items = [{"id": n, "hashed_id": f"m{n:05d}"} for n in range(total)]

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        page = int(params.get("page", "1"))
        per_page = min(int(params.get("per_page", str(default_per_page))), 100)
        start = (page - 1) * per_page
        return httpx.Response(200, json=items[start : start + per_page])

    return handler


def collect(client: WistiaClient, path: str = "/medias", **kwargs: Any) -> list[list[dict[str, Any]]]:
    return list(client.iter_pages(path, **kwargs))


def test_per_page_is_always_sent_and_pages_start_at_one(make_client: MakeClient) -> None:
    client, recorder = make_client(paged_server(250))
    pages = collect(client)
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [recorder.params(i) for i in range(recorder.count)] == [
        {"page": "1", "per_page": "100"},
        {"page": "2", "per_page": "100"},
        {"page": "3", "per_page": "100"},
    ]
    ids = [item["id"] for page in pages for item in page]
    assert ids == list(range(250))


def test_default_of_ten_is_never_relied_on(make_client: MakeClient) -> None:
    # A reader that omitted per_page would see 10 items and (expecting 100) stop: 90% of the data lost.
    client, recorder = make_client(paged_server(35), per_page=25)
    pages = collect(client)
    assert sum(len(p) for p in pages) == 35
    assert all(request.url.params["per_page"] == "25" for request in recorder.requests)


def test_per_page_argument_overrides_config(make_client: MakeClient) -> None:
    client, recorder = make_client(paged_server(7))
    pages = collect(client, per_page=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert recorder.count == 3


def test_exact_multiple_costs_one_empty_page_and_stops_there(make_client: MakeClient) -> None:
    client, recorder = make_client(paged_server(200))
    pages = collect(client)
    assert [len(p) for p in pages] == [100, 100]  # the empty page is not yielded
    assert recorder.count == 3
    assert recorder.params(2)["page"] == "3"


def test_empty_first_page(make_client: MakeClient) -> None:
    client, recorder = make_client(paged_server(0))
    assert collect(client) == []
    assert recorder.count == 1


def test_max_pages_guard_raises_when_pages_are_still_full(make_client: MakeClient) -> None:
    client, recorder = make_client(paged_server(1000))
    seen: list[int] = []
    with pytest.raises(PaginationLimitError) as caught:
        for page in client.iter_pages("/stats/events", per_page=10, max_pages=3):
            seen.append(len(page))
    assert seen == [10, 10, 10]
    assert recorder.count == 3  # never asks for page 4
    assert isinstance(caught.value, FatalAPIError)
    assert "max_pages=3" in str(caught.value)
    assert caught.value.path == "/stats/events"


def test_max_pages_not_triggered_by_a_short_last_page(make_client: MakeClient) -> None:
    client, _ = make_client(paged_server(25))
    assert [len(p) for p in collect(client, per_page=10, max_pages=3)] == [10, 10, 5]


def test_config_max_pages_is_the_default_guard(make_client: MakeClient) -> None:
    client, _ = make_client(paged_server(50), per_page=10, max_pages=2)
    with pytest.raises(PaginationLimitError):
        collect(client)


def test_filters_are_sent_on_every_page(make_client: MakeClient) -> None:
    client, recorder = make_client(paged_server(15))
    collect(client, "/stats/events", params={"media_id": "abc", "start_date": "2024-01-01"}, per_page=10)
    assert recorder.count == 2
    for i in range(2):
        assert recorder.params(i)["media_id"] == "abc"
        assert recorder.params(i)["start_date"] == "2024-01-01"


@pytest.mark.parametrize(
    "body",
    [{"error": "not a page"}, "a string", [1, 2, 3], [{"ok": 1}, None]],
    ids=["object", "string", "array-of-numbers", "array-with-null"],
)
def test_non_array_page_is_malformed(make_client: MakeClient, body: Any) -> None:
    client, recorder = make_client(lambda request: httpx.Response(200, json=body), max_tries=2)
    with pytest.raises(MalformedResponseError) as caught:
        collect(client)
    assert recorder.count == 2  # retried like any transient failure, then surfaced
    assert "gave up after 2 attempts" in str(caught.value)
    assert "expected" in str(caught.value)


def test_malformed_page_recovers_on_retry(make_client: MakeClient) -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(200, json={"unexpected": "object"})
        return paged_server(1)(request)

    client, recorder = make_client(handler)
    assert collect(client) == [[{"id": 0, "hashed_id": "m00000"}]]
    assert recorder.count == 3  # the garbled page, its retry, and the confirmation that a short page ends
    assert client.stats.retries == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params": {"page": 2}}, "sets ['page']"),
        ({"per_page": 101}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"max_pages": 0}, "max_pages"),
    ],
)
def test_bad_pagination_arguments(make_client: MakeClient, kwargs: dict[str, Any], message: str) -> None:
    client, recorder = make_client(paged_server(5))
    path = kwargs.pop("path", "/medias")
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        client.iter_pages(path, **kwargs)  # raised at the call, before any iteration
    assert recorder.count == 0


def test_iter_pages_core_is_lazy_and_transport_free() -> None:
    asked: list[dict[str, Any]] = []

    def fetch(path: str, params: dict[str, Any], request: PageRequest) -> list[dict[str, Any]]:
        asked.append({**params, **request.params()})
        return [{"n": i} for i in range(2)] if request.number < 3 else [{"n": 0}]

    pages = iter_pages(fetch, "/x", {"q": 1}, per_page=2, max_pages=10)
    assert asked == []  # nothing fetched before iteration
    assert next(pages) == [{"n": 0}, {"n": 1}]
    assert asked == [{"q": 1, "page": 1, "per_page": 2}]
    assert len(list(pages)) == 2
    assert [p["page"] for p in asked] == [1, 2, 3]


# -- the page size the server really serves ---------------------------------------------------------


def capped_server(total: int, cap: int = 10) -> Callable[[httpx.Request], httpx.Response]:
    """Serves `cap` rows a page whatever per_page asks, numbering pages by `cap` (Wistia's newer API)."""
    items = [{"id": n} for n in range(total)]

    def handler(request: httpx.Request) -> httpx.Response:
        start = (int(request.url.params["page"]) - 1) * cap
        return httpx.Response(200, json=items[start : start + cap])

    return handler


def ids_of(pages: list[list[dict[str, Any]]]) -> list[int]:
    return [item["id"] for page in pages for item in page]


def test_a_server_serving_fewer_rows_than_asked_is_read_to_the_end(make_client: MakeClient) -> None:
    client, recorder = make_client(capped_server(35))
    assert ids_of(collect(client, "/stats/events")) == list(range(35))
    assert [recorder.params(i)["page"] for i in range(recorder.count)] == ["1", "2", "3", "4"]
    assert client.served_sizes.capped == {"/stats/events": 10}
    # The learnt size is used by the next scan of the path: no confirmation, no extra request.
    before = recorder.count
    assert ids_of(collect(client, "/stats/events")) == list(range(35))
    assert recorder.count - before == 4


def test_a_short_first_page_costs_one_confirmation_then_nothing(make_client: MakeClient) -> None:
    client, recorder = make_client(paged_server(37))
    assert sum(len(p) for p in collect(client, "/stats/events")) == 37
    assert recorder.count == 2  # page 1 (37 of 100) and the empty page 2 that says it was the end
    assert client.served_sizes.capped == {}
    before = recorder.count
    collect(client, "/stats/events", params={"media_id": "x"})
    assert recorder.count - before == 2  # 37 rows is the most the path ever served: still ambiguous


def test_a_short_page_after_a_fuller_one_ends_without_confirmation(make_client: MakeClient) -> None:
    client, recorder = make_client(paged_server(120))
    assert [len(p) for p in collect(client, "/stats/visitors")] == [100, 20]
    assert recorder.count == 2
    client2, recorder2 = make_client(paged_server(7))
    client2.served_sizes.saw("/stats/visitors", 100)  # learnt earlier by this client
    assert [len(p) for p in collect(client2, "/stats/visitors")] == [7]
    assert recorder2.count == 1


def test_a_capped_server_with_an_exact_multiple_ends_on_its_empty_page(make_client: MakeClient) -> None:
    client, recorder = make_client(capped_server(30))
    assert ids_of(collect(client)) == list(range(30))
    assert recorder.count == 4


def test_a_server_that_ignores_the_page_number_is_an_error_not_a_loop(make_client: MakeClient) -> None:
    client, recorder = make_client(lambda request: httpx.Response(200, json=[{"id": 1}, {"id": 2}]))
    with pytest.raises(MalformedResponseError, match="paging is not what this client understands"):
        collect(client)
    assert recorder.count == 2


# -- slow pages ----------------------------------------------------------------------------------------


def test_a_page_that_times_out_is_asked_again_at_half_the_rows(make_client: MakeClient) -> None:
    serve = paged_server(230)
    timed_out: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["per_page"] == "100" and request.url.params["page"] == "2":
            timed_out.append(request.url.params["page"])
            raise httpx.ReadTimeout("slow page", request=request)
        return serve(request)

    client, recorder = make_client(handler)
    pages = collect(client, "/stats/events")
    assert ids_of(pages) == list(range(230))  # every row once, none skipped by the change of size
    assert [(p["page"], p["per_page"]) for p in map(dict, (r.url.params for r in recorder.requests))] == [
        ("1", "100"),
        ("2", "100"),
        ("3", "50"),
        ("4", "50"),
        ("5", "50"),
    ]
    assert timed_out == ["2"] and client.stats.retries == 1


def test_a_slow_page_makes_the_rest_of_the_scan_ask_smaller_pages(make_client: MakeClient) -> None:
    serve = paged_server(260)

    def handler(request: httpx.Request) -> httpx.Response:
        response = serve(request)
        if int(request.url.params["per_page"]) > 50:
            time.sleep(0.06)  # slower than a quarter of the 0.2 s read timeout, within the timeout
        return response

    client, recorder = make_client(handler, read_timeout_seconds=0.2)
    assert ids_of(collect(client, "/stats/events")) == list(range(260))
    sizes = [r.url.params["per_page"] for r in recorder.requests]
    assert sizes == ["100", "50", "50", "50", "50"]
    assert client.stats.retries == 0


def test_a_page_never_shrinks_below_the_floor(make_client: MakeClient) -> None:
    request = PageRequest(offset=300, size=100, unit=100)
    assert request.shrink() and (request.size, request.number) == (50, 7)
    assert request.shrink() and (request.size, request.number) == (25, 13)
    assert not request.shrink() and request.size == 25
    capped = PageRequest(offset=30, size=100, unit=10)
    assert not capped.shrink()  # the server serves 10 whatever we ask: asking less changes nothing
