"""The /v1 API: routing, parameter validation, paging and error bodies (auth, rate limit and faults
are layered on top by the server)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wistia_simulator import queries, render
from wistia_simulator.model import DAY
from wistia_simulator.quirks import NO_QUIRKS, Quirks
from wistia_simulator.visibility import Snapshot
from wistia_simulator.world import World, date_to_ts, ts_to_date

JSON_TYPE = "application/json; charset=utf-8"
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Query = Mapping[str, Sequence[str]]


@dataclass(slots=True)
class ApiResponse:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    rows: int | None = None
    """Rows of a paged list response (None for other responses, by_date rows included)."""


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler needs besides the request: the quirks in force and the request's sequence number
    (decisions of quirks are functions of the seed and the sequence)."""

    quirks: Quirks = NO_QUIRKS
    sequence: int = 0


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(status: int, payload: Any) -> ApiResponse:
    return ApiResponse(status=status, body=dumps(payload))


def _one(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def parse_paging(query: Query, error_status: int, cap: int | None = None) -> tuple[int, int]:
    """(offset, limit): pages start at 1, per_page defaults to 10 and is capped at 100 (or at `cap`,
    quirk `page_cap`); pages are numbered in pages of the capped size."""
    numbers = []
    for name, default in (("page", 1), ("per_page", DEFAULT_PER_PAGE)):
        raw = _one(query, name)
        if raw is None or raw == "":
            numbers.append(default)
            continue
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(error_status, f"{name} must be a positive integer, got {raw!r}") from None
        if value < 1:
            raise ApiError(error_status, f"{name} must be a positive integer, got {raw!r}")
        numbers.append(value)
    page, per_page = numbers
    per_page = min(per_page, MAX_PER_PAGE if cap is None else cap)
    return (page - 1) * per_page, per_page


def parse_date(raw: str | None, name: str, error_status: int) -> dt.date | None:
    if raw is None or raw == "":
        return None
    if not _DATE.match(raw):
        raise ApiError(error_status, f"{name} must be a date formatted YYYY-MM-DD, got {raw!r}")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(error_status, f"{name} is not a valid date: {raw!r}") from None


def _sorting(query: Query, allowed: tuple[str, ...]) -> tuple[str | None, bool]:
    sort_by = _one(query, "sort_by")
    if sort_by is not None and sort_by not in allowed:
        raise ApiError(400, f"sort_by must be one of {', '.join(allowed)}")
    direction = _one(query, "sort_direction")
    if direction not in (None, "0", "1"):
        raise ApiError(400, "sort_direction must be 0 (descending) or 1 (ascending)")
    return sort_by, direction != "0"


ROUTES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^/medias$"), "/medias", "list_medias"),
    (re.compile(r"^/medias/([^/]+)$"), "/medias/{id}", "show_media"),
    (re.compile(r"^/projects$"), "/projects", "list_projects"),
    (re.compile(r"^/stats/account$"), "/stats/account", "account_stats"),
    (re.compile(r"^/stats/medias/([^/]+)$"), "/stats/medias/{id}", "media_stats"),
    (re.compile(r"^/stats/medias/([^/]+)/by_date$"), "/stats/medias/{id}/by_date", "media_by_date"),
    (re.compile(r"^/stats/medias/([^/]+)/engagement$"), "/stats/medias/{id}/engagement", "media_engagement"),
    (re.compile(r"^/stats/visitors$"), "/stats/visitors", "list_visitors"),
    (re.compile(r"^/stats/visitors/([^/]+)$"), "/stats/visitors/{key}", "show_visitor"),
    (re.compile(r"^/stats/events$"), "/stats/events", "list_events"),
    (re.compile(r"^/stats/events/([^/]+)$"), "/stats/events/{key}", "show_event"),
]
UNKNOWN_ROUTE = "(unknown)"
PAGED_HANDLERS = frozenset({"list_medias", "list_projects", "list_visitors", "list_events"})


def route_of(path: str) -> tuple[str, str | None, str]:
    """(route template, handler name or None, path argument) for a path relative to /v1."""
    if path.endswith(".json"):
        path = path[: -len(".json")]
    for pattern, template, handler in ROUTES:
        match = pattern.match(path)
        if match:
            return template, handler, match.group(1) if match.groups() else ""
    return UNKNOWN_ROUTE, None, ""


class WistiaApi:
    """Answers /v1 requests from a Snapshot of the world."""

    def __init__(self, world: World, promotions: queries.Promotions | None = None) -> None:
        self.world = world
        self.promotions = promotions if promotions is not None else queries.Promotions()

    def handle(
        self, snap: Snapshot, method: str, path: str, query: Query, call: Call | None = None
    ) -> ApiResponse:
        _template, handler, arg = route_of(path)
        if handler is None:
            return json_response(404, {"error": f"No route matches {path!r}"})
        if method != "GET":
            return json_response(405, {"error": f"{method} is not supported by this simulator"})
        try:
            payload = getattr(self, handler)(snap, query, arg, call or Call())
        except ApiError as exc:
            return json_response(exc.status, {"error": exc.message})
        response = json_response(200, payload)
        if handler in PAGED_HANDLERS:
            response.rows = len(payload)
        return response

    # -- medias and projects ------------------------------------------------------------------

    def list_medias(self, snap: Snapshot, query: Query, _arg: str, call: Call) -> Any:
        offset, limit = parse_paging(query, 400, call.quirks.max_per_page)
        sort_by, ascending = _sorting(query, ("name", "created", "updated", "position", "id"))
        archived_raw = _one(query, "archived")
        archived: bool | None = None
        if archived_raw is not None and archived_raw != "":
            lowered = archived_raw.lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ApiError(400, "archived must be true or false")
            archived = lowered in ("true", "1")
        hashed_ids: tuple[str, ...] | None = None
        if query.get("hashed_ids[]"):
            hashed_ids = tuple(query["hashed_ids[]"])
        hashed_id = _one(query, "hashed_id")
        if hashed_id:
            hashed_ids = (
                (hashed_id,) if hashed_ids is None else tuple(h for h in hashed_ids if h == hashed_id)
            )
        flt = queries.MediaFilter(
            project_id=_one(query, "project_id") or None,
            hashed_ids=hashed_ids,
            type=_one(query, "type") or None,
            archived=archived,
            name=_one(query, "name"),
        )
        selected = queries.medias(self.world, snap.at, flt, sort_by, ascending)
        return [render.render_media(self.world, m, snap.at) for m in selected[offset : offset + limit]]

    def show_media(self, snap: Snapshot, _query: Query, hashed_id: str, _call: Call) -> Any:
        media = self.world.media_by_hashed_id(hashed_id)
        if media is None or not media.exists_at(snap.at):
            raise ApiError(404, f"Media with hashed_id '{hashed_id}' not found.")
        return render.render_media(self.world, media, snap.at)

    def list_projects(self, snap: Snapshot, query: Query, _arg: str, call: Call) -> Any:
        offset, limit = parse_paging(query, 400, call.quirks.max_per_page)
        sort_by, ascending = _sorting(query, ("name", "created", "updated", "mediaCount", "id"))
        selected = queries.projects(self.world, snap.at, sort_by, ascending)
        if query.get("hashed_ids[]"):
            wanted = set(query["hashed_ids[]"])
            selected = [p for p in selected if p.hashed_id in wanted]
        return [render.render_project(self.world, p, snap.at) for p in selected[offset : offset + limit]]

    # -- stats ----------------------------------------------------------------------------------

    def account_stats(self, snap: Snapshot, _query: Query, _arg: str, _call: Call) -> Any:
        return render.render_account_stats(snap)

    def _stats_media(self, snap: Snapshot, key: str) -> int:
        media = self.world.media_by_id_or_hashed_id(key)
        if media is None or not media.exists_at(snap.at):
            raise ApiError(404, f"Media '{key}' not found or does not belong to this account.")
        return media.index

    def media_stats(self, snap: Snapshot, _query: Query, key: str, _call: Call) -> Any:
        return render.render_media_stats(snap, self._stats_media(snap, key))

    def media_engagement(self, snap: Snapshot, _query: Query, key: str, _call: Call) -> Any:
        return render.render_engagement(snap, self._stats_media(snap, key))

    def media_by_date(self, snap: Snapshot, query: Query, key: str, _call: Call) -> Any:
        m = self._stats_media(snap, key)
        today = ts_to_date(snap.at)
        start = parse_date(_one(query, "start_date"), "start_date", 400) or today - dt.timedelta(days=1)
        end = parse_date(_one(query, "end_date"), "end_date", 400) or today
        if start > end:
            raise ApiError(400, "start_date must be on or before end_date")
        return by_date_rows(snap, m, start, end)

    # -- visitors and events ----------------------------------------------------------------------

    def list_visitors(self, snap: Snapshot, query: Query, _arg: str, call: Call) -> Any:
        offset, limit = parse_paging(query, 400, call.quirks.max_per_page)
        filter_name = _one(query, "filter") or None
        if filter_name is not None and filter_name not in (
            "has_name",
            "has_email",
            "identified_by_email_gate",
        ):
            raise ApiError(400, "filter must be one of has_name, has_email, identified_by_email_gate")
        promoted = self.promotions.current()
        selected = queries.visitors(snap, filter_name, _one(query, "search"), promoted)
        page = selected[offset : offset + limit]
        # Quirk visitor_churn: while a scan is under way, a visitor it has not reached yet becomes
        # active and moves to the head of the list (for the requests that follow this one).
        unread = selected[offset + limit :]
        pick = call.quirks.churn_pick(self.world.seed, call.sequence, offset // limit + 1, len(unread))
        if pick is not None:
            self.promotions.promote(unread[pick])
        return [render.render_visitor(snap, v) for v in page]

    def show_visitor(self, snap: Snapshot, _query: Query, key: str, _call: Call) -> Any:
        v = self.world.visitor_by_key(key)
        if v is None or snap.visitor_totals(v).play_count == 0:
            raise ApiError(404, f"Visitor '{key}' not found.")
        return render.render_visitor(snap, v)

    def list_events(self, snap: Snapshot, query: Query, _arg: str, call: Call) -> Any:
        offset, limit = parse_paging(query, 422, call.quirks.max_per_page)
        start = parse_date(_one(query, "start_date"), "start_date", 422)
        end = parse_date(_one(query, "end_date"), "end_date", 422)
        if start is not None and end is not None and start > end:
            raise ApiError(422, "start_date must be on or before end_date")
        flt = self.event_filter(_one(query, "media_id"), _one(query, "visitor_key"), start, end)
        flt = dataclasses.replace(flt, offset_hours=call.quirks.event_day_offset_hours)
        selected = queries.event_page(snap, flt, offset, limit)
        return [render.render_event(self.world, i, call.quirks) for i in selected]

    def event_filter(
        self, media_id: str | None, visitor_key: str | None, start: dt.date | None, end: dt.date | None
    ) -> queries.EventFilter:
        media: int | None = None
        if media_id:
            found = self.world.media_by_id_or_hashed_id(media_id)
            media = found.index if found is not None else -1
        visitor: int | None = None
        if visitor_key:
            v = self.world.visitor_by_key(visitor_key)
            visitor = v if v is not None else -1
        return queries.EventFilter(media=media, visitor=visitor, start=start, end=end)

    def show_event(self, snap: Snapshot, _query: Query, key: str, call: Call) -> Any:
        index = self.world.find_event(key)
        plays = self.world.data.plays
        if (
            index is None
            or plays.ts[index] > snap.at
            or not snap.play_visible(index)
            or plays.ts[index] < snap.at - queries.RETENTION_DAYS * DAY
        ):
            raise ApiError(404, f"Event '{key}' not found.")
        return render.render_event(self.world, index, call.quirks)


def by_date_rows(snap: Snapshot, m: int, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    world = snap.world
    media = world.medias[m]
    rows = []
    for day in queries.daily_days(world, media, snap.at, start, end):
        k = (date_to_ts(day) - world.origin_ts) // DAY
        loads, plays, seconds = snap.daily(m, k)
        rows.append(render.render_by_date_row(day, loads, plays, seconds))
    return rows
