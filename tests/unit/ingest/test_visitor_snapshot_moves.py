"""The visitor snapshot over a list that moves while it is read (newest-active first: a visitor who becomes
active jumps to the head). A scripted server moves visitors between requests far more often than a real
account would, including visitors already read, which bury the ones the scan missed below page 1."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wistia_ingest import visitor_ingest
from wistia_ingest.client import WistiaClient

MakeClient = Callable[..., Any]


class MovingList:
    """Serves `/stats/visitors` pages of `size` rows; after serving a page it may move one visitor from
    anywhere below that page (read or not) to the head, as Wistia's list does when someone is active."""

    def __init__(self, count: int, size: int, churn: float, seed: int) -> None:
        self.rows = [f"v{n:05d}" for n in range(count)]
        self.size, self.churn = size, churn
        self.rng = random.Random(seed)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        start = (page - 1) * self.size
        body = [{"visitor_key": key} for key in self.rows[start : start + self.size]]
        below = len(self.rows) - (start + self.size)
        if page > 1 and below > 0 and self.rng.random() < self.churn:
            self.rows.insert(0, self.rows.pop(start + self.size + self.rng.randrange(below)))
        if self.rng.random() < self.churn / 2:  # someone already read becomes active again
            self.rows.insert(0, self.rows.pop(self.rng.randrange(min(len(self.rows), start + 1))))
        return httpx.Response(200, json=body)


def scan(client: WistiaClient) -> tuple[list[str], int, int]:
    """What `_snapshot` does: the scan, then the head re-read if the scan saw a repeat."""
    seen: dict[str, None] = {}

    def keep(page: list[dict[str, Any]]) -> int:
        new = [v["visitor_key"] for v in page if v["visitor_key"] not in seen]
        seen.update(dict.fromkeys(new))
        return len(new)

    repeats = sum(len(page) - keep(page) for page in client.iter_visitor_pages())
    extra = visitor_ingest._reread_head(client, keep, list(seen), repeats) if repeats else 0
    return list(seen), repeats, extra


@pytest.mark.parametrize("seed", range(40))
def test_nobody_is_missed_however_the_list_moves(make_client: MakeClient, seed: int) -> None:
    server = MovingList(count=4000, size=10, churn=0.6, seed=seed)
    client, _ = make_client(server, per_page=10)
    seen, repeats, _ = scan(client)
    assert repeats > 0, "the list moved under the scan"
    assert sorted(seen) == sorted(server.rows), "everyone once"


def test_a_still_list_costs_the_scan_alone(make_client: MakeClient) -> None:
    server = MovingList(count=250, size=100, churn=0.0, seed=1)
    client, recorder = make_client(server)
    seen, repeats, extra = scan(client)
    assert (len(seen), repeats, extra, recorder.count) == (250, 0, 0, 3)
