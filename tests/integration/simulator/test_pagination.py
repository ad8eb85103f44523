"""Paging: pages from 1, per_page 10 by default and capped at 100, bare arrays, stable order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest


def test_default_page_size_is_ten(client: httpx.Client) -> None:
    for path in ("/stats/visitors", "/stats/events"):
        assert len(client.get(path).json()) == 10
    assert len(client.get("/stats/visitors", params={"page": 2}).json()) == 10


def test_per_page_is_capped_at_100(client: httpx.Client) -> None:
    for path in ("/stats/visitors", "/stats/events"):
        assert len(client.get(path, params={"per_page": 500}).json()) == 100


def test_exact_multiple_ends_with_an_empty_page(client: httpx.Client) -> None:
    medias = client.get("/medias", params={"per_page": 100}).json()
    n = len(medias)
    assert 5 <= n < 100
    first = client.get("/medias", params={"per_page": n, "page": 1}).json()
    assert first == medias
    assert client.get("/medias", params={"per_page": n, "page": 2}).json() == []


def test_past_the_end_page_is_empty(client: httpx.Client) -> None:
    for path in ("/medias", "/projects", "/stats/visitors", "/stats/events"):
        response = client.get(path, params={"page": 9999, "per_page": 100})
        assert response.status_code == 200
        assert response.json() == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/medias", {}),
        ("/medias", {"sort_by": "updated", "sort_direction": 0}),
        ("/medias", {"sort_by": "name"}),
        ("/medias", {"sort_by": "created", "sort_direction": 0}),
        ("/projects", {"sort_by": "name", "sort_direction": 0}),
        ("/stats/visitors", {}),
        ("/stats/events", {}),
    ],
)
def test_small_pages_concatenate_to_the_big_page(
    client: httpx.Client, fetch_all: Callable[..., list[Any]], path: str, params: dict[str, Any]
) -> None:
    everything = fetch_all(client, path, params, per_page=100)
    in_sevens = fetch_all(client, path, params, per_page=7)
    assert in_sevens == everything
    assert len(everything) > 3


def test_sorting(client: httpx.Client) -> None:
    by_id = client.get("/medias", params={"per_page": 100}).json()
    assert [m["id"] for m in by_id] == sorted(m["id"] for m in by_id)
    newest_update_first = client.get(
        "/medias", params={"per_page": 100, "sort_by": "updated", "sort_direction": 0}
    )
    stamps = [m["updated"] for m in newest_update_first.json()]
    assert stamps == sorted(stamps, reverse=True)
    by_id_desc = client.get("/medias", params={"per_page": 100, "sort_direction": 0}).json()
    assert by_id_desc == by_id[::-1]


def test_empty_filters_return_empty_arrays(client: httpx.Client) -> None:
    assert client.get("/medias", params={"project_id": "nosuchproj"}).json() == []
    assert client.get("/medias", params={"type": "PdfDocument"}).json() == []
    assert client.get("/stats/events", params={"media_id": "nosuchmedia"}).json() == []
    assert client.get("/stats/events", params={"visitor_key": "NOPE"}).json() == []
    assert (
        client.get("/stats/events", params={"start_date": "2001-01-01", "end_date": "2001-01-31"}).json()
        == []
    )


@pytest.mark.parametrize("path", ["/medias", "/projects", "/stats/visitors", "/stats/events"])
@pytest.mark.parametrize("params", [{"page": 0}, {"page": "abc"}, {"per_page": 0}, {"per_page": "-5"}])
def test_invalid_paging(client: httpx.Client, path: str, params: dict[str, Any]) -> None:
    response = client.get(path, params=params)
    assert response.status_code == (422 if path == "/stats/events" else 400)
    assert "error" in response.json()


def test_media_filters(client: httpx.Client) -> None:
    medias = client.get("/medias", params={"per_page": 100}).json()
    project = medias[0]["project"]["hashed_id"]
    in_project = client.get("/medias", params={"project_id": project, "per_page": 100}).json()
    assert in_project and all(m["project"]["hashed_id"] == project for m in in_project)
    assert in_project == [m for m in medias if m["project"]["hashed_id"] == project]
    picked = [medias[0]["hashed_id"], medias[-1]["hashed_id"]]
    by_ids = client.get("/medias", params={"hashed_ids[]": picked, "per_page": 100}).json()
    assert [m["hashed_id"] for m in by_ids] == picked
    one = client.get("/medias", params={"hashed_id": picked[1]}).json()
    assert [m["hashed_id"] for m in one] == [picked[1]]
    by_name = client.get("/medias", params={"name": medias[2]["name"]}).json()
    assert medias[2] in by_name
    archived = client.get("/medias", params={"archived": "true", "per_page": 100}).json()
    active = client.get("/medias", params={"archived": "false", "per_page": 100}).json()
    assert all(m["archived"] for m in archived) and not any(m["archived"] for m in active)
    assert len(archived) + len(active) == len(medias)
    videos = client.get("/medias", params={"type": "Video", "per_page": 100}).json()
    assert videos and all(m["type"] == "Video" for m in videos)
    assert client.get("/medias", params={"archived": "maybe"}).status_code == 400
    assert client.get("/medias", params={"sort_by": "colour"}).status_code == 400
