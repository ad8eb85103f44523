"""The Wistia v1 API client: one pooled httpx.Client, auth, rate limiting, retries, typed endpoints.

Every HTTP attempt (retries included) first takes a token from the rate limiter, then one request is
sent and its answer mapped to a value or to one exception class (see errors.py). Retriable failures go
through the retry policy (retry.py); fatal ones surface at once. The shape check of a page runs inside
the retried unit, so a garbled page is re-fetched like any other transient failure.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from wistia_ingest.config import ClientConfig
from wistia_ingest.errors import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    PayloadValidationError,
    RateLimitedError,
    RetriableAPIError,
    ServerError,
    ServiceUnavailableError,
    TransientNetworkError,
    UnexpectedStatusError,
)
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
)
from wistia_ingest.pagination import Page, PageRequest, ServedSizes, iter_pages
from wistia_ingest.rate_limiter import TokenBucket
from wistia_ingest.retry import RetryPolicy, parse_retry_after

logger = logging.getLogger("wistia_ingest.client")

Shape = Literal["any", "object", "array_of_objects"]
SortDirection = Literal["asc", "desc", 0, 1]  # Wistia: 1 = ascending (default), 0 = descending
M = TypeVar("M", bound=WistiaModel)
_DETAIL_LIMIT = 300


class ClientStats:
    """Request counters for run summaries and metrics; safe to update from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.retries = 0
        self.gave_up = 0
        self.transport_errors = 0
        self.backoff_seconds = 0.0
        self.rate_limit_wait_seconds = 0.0
        self.responses_by_status: Counter[int] = Counter()

    def record_request(self, rate_limit_wait: float) -> None:
        with self._lock:
            self.requests_sent += 1
            self.rate_limit_wait_seconds += rate_limit_wait

    def record_response(self, status_code: int) -> None:
        with self._lock:
            self.responses_by_status[status_code] += 1

    def record_transport_error(self) -> None:
        with self._lock:
            self.transport_errors += 1

    def record_retry(self, wait: float) -> None:
        with self._lock:
            self.retries += 1
            self.backoff_seconds += wait

    def record_giveup(self) -> None:
        with self._lock:
            self.gave_up += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests_sent": self.requests_sent,
                "retries": self.retries,
                "gave_up": self.gave_up,
                "transport_errors": self.transport_errors,
                "backoff_seconds": round(self.backoff_seconds, 3),
                "rate_limit_wait_seconds": round(self.rate_limit_wait_seconds, 3),
                "responses_by_status": {str(code): n for code, n in sorted(self.responses_by_status.items())},
            }


class WistiaClient:
    """Context manager owning one pooled connection to the Wistia v1 API."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        rate_limiter: TokenBucket | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.stats = ClientStats()
        self._secret = config.token.get_secret_value()
        self._retry = retry_policy or RetryPolicy.from_config(config)
        if rate_limiter is None and config.requests_per_minute is not None:
            rate_limiter = TokenBucket(config.requests_per_minute, config.rate_burst)
        self._limiter = rate_limiter
        self.served_sizes = ServedSizes()
        self._http = httpx.Client(
            base_url=config.base_url,
            headers={
                "Accept": "application/json",
                "User-Agent": config.user_agent,
                "Authorization": self._authorization(),
            },
            timeout=httpx.Timeout(
                connect=config.connect_timeout_seconds,
                read=config.read_timeout_seconds,
                write=config.read_timeout_seconds,
                pool=config.read_timeout_seconds,
            ),
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
            transport=transport,
            follow_redirects=False,
        )

    def _authorization(self) -> str:
        if self.config.auth_scheme == "basic":
            pair = base64.b64encode(f"api:{self._secret}".encode()).decode("ascii")
            return f"Basic {pair}"
        return f"Bearer {self._secret}"

    def __repr__(self) -> str:
        return f"WistiaClient(base_url={self.config.base_url!r}, auth_scheme={self.config.auth_scheme!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- generic access ---------------------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` (relative to base_url) and return the decoded JSON, retrying transient failures."""
        return self._get(path, params, "any")

    def get_object(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a single JSON object (a show endpoint); anything else is a MalformedResponseError."""
        result: dict[str, Any] = self._get(path, params, "object")
        return result

    def get_array(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """GET a JSON array of objects in one request (e.g. by_date); no paging parameters are added."""
        result: list[dict[str, Any]] = self._get(path, params, "array_of_objects")
        return result

    def iter_pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        per_page: int | None = None,
        max_pages: int | None = None,
    ) -> Iterator[Page]:
        """Every page of a paginated endpoint, in order (see pagination.py for the stopping rules)."""
        return iter_pages(
            self._get_page,
            path,
            _clean_params(params),
            per_page=per_page if per_page is not None else self.config.per_page,
            max_pages=max_pages if max_pages is not None else self.config.max_pages,
            sizes=self.served_sizes,
        )

    # -- typed endpoints ------------------------------------------------------------------------------

    def iter_project_pages(
        self, *, per_page: int | None = None, max_pages: int | None = None
    ) -> Iterator[Page]:
        return self.iter_pages("/projects", per_page=per_page, max_pages=max_pages)

    def iter_projects(self) -> Iterator[Project]:
        return self._models(Project, self.iter_project_pages(), "/projects")

    def iter_media_pages(
        self,
        *,
        sort_by: Literal["name", "created", "updated", "position"] | None = None,
        sort_direction: SortDirection | None = None,
        project_id: str | None = None,
        archived: bool | None = None,
        per_page: int | None = None,
        max_pages: int | None = None,
    ) -> Iterator[Page]:
        """Raw /medias pages. `sort_by="updated", sort_direction="desc"` lets a reader stop at a watermark."""
        params = {
            "sort_by": sort_by,
            "sort_direction": _sort_direction(sort_direction),
            "project_id": project_id,
            "archived": archived,
        }
        return self.iter_pages("/medias", params, per_page=per_page, max_pages=max_pages)

    def iter_medias(
        self,
        *,
        sort_by: Literal["name", "created", "updated", "position"] | None = None,
        sort_direction: SortDirection | None = None,
        project_id: str | None = None,
        archived: bool | None = None,
    ) -> Iterator[Media]:
        pages = self.iter_media_pages(
            sort_by=sort_by, sort_direction=sort_direction, project_id=project_id, archived=archived
        )
        return self._models(Media, pages, "/medias")

    def get_media(self, hashed_id: str) -> Media:
        path = f"/medias/{_segment(hashed_id, 'hashed_id')}"
        return self._model(Media, self.get_object(path), path)

    def get_account_stats(self) -> AccountStats:
        return self._model(AccountStats, self.get_object("/stats/account"), "/stats/account")

    def get_media_stats(self, media_id: str) -> MediaStats:
        path = f"/stats/medias/{_segment(media_id, 'media_id')}"
        return self._model(MediaStats, self.get_object(path), path)

    def get_media_engagement(self, media_id: str) -> Engagement:
        path = f"/stats/medias/{_segment(media_id, 'media_id')}/engagement"
        return self._model(Engagement, self.get_object(path), path)

    def get_media_by_date(self, media_id: str, start_date: dt.date, end_date: dt.date) -> list[ByDateRow]:
        """Daily rows for the inclusive window [start_date, end_date] (one request, no pagination).

        The window is not checked here: the API's own answer (422 with its reason) is the authority.
        """
        path = f"/stats/medias/{_segment(media_id, 'media_id')}/by_date"
        rows = self.get_array(path, {"start_date": start_date, "end_date": end_date})
        return [self._model(ByDateRow, row, path) for row in rows]

    def iter_visitor_pages(
        self, *, per_page: int | None = None, max_pages: int | None = None
    ) -> Iterator[Page]:
        """Raw /stats/visitors pages: a full scan (the API has no date, media or sort filter)."""
        return self.iter_pages("/stats/visitors", per_page=per_page, max_pages=max_pages)

    def iter_visitors(self) -> Iterator[Visitor]:
        return self._models(Visitor, self.iter_visitor_pages(), "/stats/visitors")

    def get_visitor(self, visitor_key: str) -> Visitor:
        path = f"/stats/visitors/{_segment(visitor_key, 'visitor_key')}"
        return self._model(Visitor, self.get_object(path), path)

    def iter_event_pages(
        self,
        *,
        start_date: dt.date | None = None,
        end_date: dt.date | None = None,
        media_id: str | None = None,
        visitor_key: str | None = None,
        per_page: int | None = None,
        max_pages: int | None = None,
    ) -> Iterator[Page]:
        """Raw /stats/events pages, newest first; dates are inclusive UTC days (a bad window -> 422)."""
        params = {
            "start_date": start_date,
            "end_date": end_date,
            "media_id": media_id,
            "visitor_key": visitor_key,
        }
        return self.iter_pages("/stats/events", params, per_page=per_page, max_pages=max_pages)

    def iter_events(
        self,
        *,
        start_date: dt.date | None = None,
        end_date: dt.date | None = None,
        media_id: str | None = None,
        visitor_key: str | None = None,
    ) -> Iterator[Event]:
        pages = self.iter_event_pages(
            start_date=start_date, end_date=end_date, media_id=media_id, visitor_key=visitor_key
        )
        return self._models(Event, pages, "/stats/events")

    def get_event(self, event_key: str) -> Event:
        path = f"/stats/events/{_segment(event_key, 'event_key')}"
        return self._model(Event, self.get_object(path), path)

    # -- internals --------------------------------------------------------------------------------------

    def _models(self, model: type[M], pages: Iterator[Page], path: str) -> Iterator[M]:
        for page in pages:
            for item in page:
                yield self._model(model, item, path)

    def _model(self, model: type[M], payload: Mapping[str, Any], path: str) -> M:
        try:
            return model.from_payload(payload)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
                for err in exc.errors(include_input=False, include_url=False)[:5]
            )
            raise PayloadValidationError(
                f"GET {path}: a {model.__name__} payload does not fit the model ({problems}); the raw "
                "payload is still available from the page/get_json methods: adjust models.py",
                method="GET",
                path=path,
            ) from None

    def _get(self, path: str, params: Mapping[str, Any] | None, shape: Shape) -> Any:
        query = _clean_params(params)
        return self._retried(path, lambda: self._send_once("GET", path, query, shape))

    def _get_page(self, path: str, params: dict[str, Any], request: PageRequest) -> Page:
        """One page; a retry after a read timeout asks it at half the rows (`PageRequest.shrink`)."""

        def attempt() -> Page:
            query = {**params, **request.params()}
            page: Page = self._send_once("GET", path, query, "array_of_objects", request)
            return page

        page: Page = self._retried(path, attempt)
        return page

    def _retried(self, path: str, attempt: Callable[[], Any]) -> Any:
        try:
            return self._retry.call(attempt, on_retry=self._on_retry)
        except RetriableAPIError as exc:
            if exc.exhausted:
                self.stats.record_giveup()
            raise

    def _on_retry(self, exc: RetriableAPIError, attempt: int, wait: float) -> None:
        self.stats.record_retry(wait)

    def _send_once(
        self, method: str, path: str, query: dict[str, Any], shape: Shape, page: PageRequest | None = None
    ) -> Any:
        waited = self._limiter.acquire() if self._limiter is not None else 0.0
        self.stats.record_request(waited)
        started = time.monotonic()
        try:
            # httpx joins a relative path onto base_url's path, so /v1 is kept.
            response = self._http.request(method, path, params=query)
        except httpx.TimeoutException as exc:
            self.stats.record_transport_error()
            if page is not None and isinstance(exc, httpx.ReadTimeout) and page.shrink():
                logger.warning(
                    "%s %s: read timeout; asking the page again at %d rows",
                    method,
                    path,
                    page.size,
                    extra={"method": method, "path": path, "per_page": page.size},
                )
            raise TransientNetworkError(
                f"{method} {path}: {_timeout_kind(exc)} ({self._scrub(str(exc)) or type(exc).__name__}); "
                "if it persists raise WISTIA_TIMEOUT_SECONDS or check connectivity",
                method=method,
                path=path,
            ) from exc
        except httpx.TransportError as exc:
            self.stats.record_transport_error()
            raise TransientNetworkError(
                f"{method} {path}: connection failed or the response was cut short ({type(exc).__name__}: "
                f"{self._scrub(str(exc))}); if it persists check the network and "
                "WISTIA_BASE_URL",
                method=method,
                path=path,
            ) from exc
        except httpx.DecodingError as exc:
            self.stats.record_transport_error()
            raise MalformedResponseError(
                f"{method} {path}: the response body could not be decoded ({type(exc).__name__})",
                method=method,
                path=path,
            ) from exc
        self.stats.record_response(response.status_code)
        self._raise_for_status(method, path, response)
        if page is not None and time.monotonic() - started > self.config.read_timeout_seconds / 4:
            page.slow = True  # the rest of the scan asks smaller pages before one times out
        return self._decode(method, path, response, shape)

    def _raise_for_status(self, method: str, path: str, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        where = f"{method} {path} -> {status}"
        detail = self._detail(response)
        said = f" ({detail})" if detail else ""
        common: dict[str, Any] = {"method": method, "path": path, "status_code": status}
        if status == 401:
            raise AuthenticationError(f"{where} Unauthorized{said}: {self._unauthorized(response)}", **common)
        if status == 403:
            raise AuthenticationError(
                f"{where} Forbidden{said}: the token was accepted but the account's Wistia plan does not "
                "include this API (Wistia answers 403 for a feature the plan lacks; a missing token "
                "permission is a 401); check the plan with Wistia, or ask the account owner",
                **common,
            )
        if status == 404:
            raise NotFoundError(
                f"{where} Not Found{said}: the resource does not exist, was deleted, or (events) is past the "
                "2-year retention; skip it, or check the id and WISTIA_BASE_URL",
                **common,
            )
        if status in (400, 422):
            raise InvalidRequestError(
                f"{where} the API rejected the request{said}; fix the parameters (dates YYYY-MM-DD with "
                "start <= end, per_page <= 100, known sort fields)",
                **common,
            )
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        waited = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
        if status == 429:
            raise RateLimitedError(
                f"{where} Too Many Requests{waited}{said}: the account's rate limit (about 600 requests/min, "
                "shared by every caller) is spent; lower WISTIA_REQUESTS_PER_MINUTE or the Map concurrency",
                retry_after=retry_after,
                **common,
            )
        if status == 503:
            raise ServiceUnavailableError(
                f"{where} Service Unavailable{waited}{said}: Wistia is overloaded or in maintenance; "
                "re-run later if it persists",
                retry_after=retry_after,
                **common,
            )
        if 500 <= status < 600:
            raise ServerError(
                f"{where} server error{waited}{said}: a fault on Wistia's side; re-run later if it persists",
                retry_after=retry_after,
                **common,
            )
        raise UnexpectedStatusError(
            f"{where} unexpected status{said}: not an answer this client knows how to handle; check "
            "WISTIA_BASE_URL and the API's changelog",
            **common,
        )

    def _unauthorized(self, response: httpx.Response) -> str:
        """What to do about a 401: the body's code tells a missing permission from a rejected token."""
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict) and body.get("code") == "unauthorized_scope":
            return (
                "the token lacks the 'Read detailed stats' permission the Stats API needs; in Wistia, "
                "Account Settings > API Access, give the token 'Read detailed stats' (or create one with "
                "it) and store it where WISTIA_API_TOKEN comes from"
            )
        if self.config.auth_scheme == "basic":
            return (
                "the API refused HTTP Basic auth (user 'api', the token as password), the legacy form "
                "the current API may no longer accept; set WISTIA_AUTH_SCHEME=bearer (the default and the "
                "documented way), and check that WISTIA_API_TOKEN is current"
            )
        return (
            "the API token was rejected; check that WISTIA_API_TOKEN holds a current Wistia API token "
            "(Account Settings > API Access)"
        )

    def _decode(self, method: str, path: str, response: httpx.Response, shape: Shape) -> Any:
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("Content-Type", "no content type")
            raise MalformedResponseError(
                f"{method} {path} -> {response.status_code} but the body is not valid JSON ({kind}, "
                f"{len(response.content)} bytes: {self._snippet(response.text)!r}); often a truncated "
                "response or a proxy page",
                method=method,
                path=path,
                status_code=response.status_code,
            ) from None
        problem = _shape_problem(data, shape)
        if problem is not None:
            raise MalformedResponseError(
                f"{method} {path} -> {response.status_code} but {problem}; check WISTIA_BASE_URL points at "
                "the v1 API",
                method=method,
                path=path,
                status_code=response.status_code,
            )
        return data

    def _detail(self, response: httpx.Response) -> str:
        """The server's own explanation from an error body ({error}, {errors: {field: [...]}}, or text)."""
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return self._snippet(response.text)
        parts: list[str] = []
        if isinstance(body, dict):
            if isinstance(body.get("error"), str):
                parts.append(body["error"])
            errors = body.get("errors")
            if isinstance(errors, dict):
                for field, messages in errors.items():
                    listed = ", ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
                    parts.append(f"{field}: {listed}")
            elif isinstance(errors, list):
                parts.extend(map(str, errors))
            if not parts and body.get("code") is not None:
                parts.append(f"code {body['code']}")
        return self._snippet("; ".join(parts) if parts else json.dumps(body))

    def _snippet(self, text: str) -> str:
        flat = " ".join(text.split())
        if len(flat) > _DETAIL_LIMIT:
            flat = flat[:_DETAIL_LIMIT] + "..."
        return self._scrub(flat)

    def _scrub(self, text: str) -> str:
        # Defence in depth: nothing we build contains the token, but server or library text might echo it.
        return text.replace(self._secret, "***") if self._secret else text


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Drop None, send dates as YYYY-MM-DD and booleans as true/false."""
    cleaned: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            cleaned[key] = "true" if value else "false"
        elif isinstance(value, dt.datetime):
            raise TypeError(f"parameter {key!r} takes a date, not a datetime")
        elif isinstance(value, dt.date):
            cleaned[key] = value.isoformat()
        else:
            cleaned[key] = value
    return cleaned


def _segment(value: str, name: str) -> str:
    """One URL-quoted path segment; ids never contain '/', and '.'/'..' would change the path."""
    text = str(value)
    if not text or text in (".", ".."):
        raise ValueError(f"{name} must be a non-empty id, got {value!r}")
    return quote(text, safe="")


def _sort_direction(direction: SortDirection | None) -> int | None:
    if direction is None:
        return None
    codes: dict[object, int] = {"asc": 1, "desc": 0, 1: 1, 0: 0}
    if isinstance(direction, bool) or direction not in codes:
        raise ValueError(f"sort_direction must be 'asc'/1 or 'desc'/0, got {direction!r}")
    return codes[direction]


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    kinds: dict[type[httpx.TimeoutException], str] = {
        httpx.ConnectTimeout: "connect timeout",
        httpx.ReadTimeout: "read timeout",
        httpx.WriteTimeout: "write timeout",
        httpx.PoolTimeout: "connection pool timeout",
    }
    return kinds.get(type(exc), "timeout")


def _shape_problem(data: Any, shape: Shape) -> str | None:
    if shape == "object" and not isinstance(data, dict):
        return f"the body is a JSON {_json_type(data)}, expected an object"
    if shape == "array_of_objects":
        if not isinstance(data, list):
            return f"the body is a JSON {_json_type(data)}, expected an array (a page)"
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                return f"item {index} of the array is a JSON {_json_type(item)}, expected an object"
    return None


def _json_type(value: Any) -> str:
    names: list[tuple[type | tuple[type, ...], str]] = [
        (dict, "object"),
        (list, "array"),
        (str, "string"),
        (bool, "boolean"),
        ((int, float), "number"),
    ]
    if value is None:
        return "null"
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)
