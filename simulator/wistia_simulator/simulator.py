"""WistiaSimulator: the world, its clock and the HTTP server, with the controls tests and local runs use.

Order of checks for a /v1 request: rate limit -> injected fault -> auth (and the auth quirks) -> the API
itself (with the other quirks); then an injected body fault (malformed JSON, truncated page) corrupts a
200 response, and a slow page (quirk `slow_pages`) is held back. Every /v1 request, including rejected
ones, is counted in `stats()`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import threading
import time
from types import TracebackType
from typing import Any

from wistia_simulator import admin, auth, ground_truth, queries
from wistia_simulator.api import Call, WistiaApi, dumps, route_of
from wistia_simulator.clock import SimClock, from_ts, to_ts
from wistia_simulator.faults import FaultProfile
from wistia_simulator.metrics import RequestStats
from wistia_simulator.presets import get_preset
from wistia_simulator.quirks import Quirks
from wistia_simulator.ratelimit import SlidingWindowLimiter, retry_after_value
from wistia_simulator.server import Incoming, Outcome, SimHTTPServer, is_loopback
from wistia_simulator.visibility import SnapshotCache
from wistia_simulator.world import World, date_to_ts

logger = logging.getLogger("wistia_simulator")

START_HOUR = 6
"""The clock starts at 06:00 UTC of the configured date (a nightly run after the day closed)."""
DEFAULT_TOKEN = "simulator-token"  # noqa: S105 (a documented default for local runs, not a secret)


def _today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclasses.dataclass(frozen=True)
class SimulatorConfig:
    preset: str = "demo"
    seed: int = 7
    date: dt.date = dataclasses.field(default_factory=_today_utc)
    token: str = DEFAULT_TOKEN
    rate_limit_per_minute: int = 600
    """Requests allowed in any window of `rate_window_seconds` (0 disables the limit)."""
    rate_window_seconds: float = 60.0
    faults: FaultProfile = dataclasses.field(default_factory=FaultProfile)
    quirks: Quirks = dataclasses.field(default_factory=Quirks)
    """Behaviours of the real API that are off by default (see quirks.py)."""
    host: str = "127.0.0.1"
    port: int = 0
    retry_after_format: str = "seconds"
    origin: dt.date | None = None
    """First day of the account's history; default `date - preset.history_days`."""

    def resolved_origin(self) -> dt.date:
        if self.origin is not None:
            return self.origin
        return self.date - dt.timedelta(days=get_preset(self.preset).history_days)

    def validate(self) -> None:
        get_preset(self.preset)
        if self.resolved_origin() > self.date:
            raise ValueError(f"origin {self.resolved_origin()} is after date {self.date}")
        if self.retry_after_format not in ("seconds", "http-date"):
            raise ValueError("retry_after_format must be 'seconds' or 'http-date'")
        if not is_loopback(self.host):
            raise ValueError(f"the simulator only listens on loopback addresses, not {self.host!r}")
        if self.rate_window_seconds <= 0:
            raise ValueError("rate_window_seconds must be > 0")


class WistiaSimulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.config.validate()
        cfg = self.config
        self._preset = get_preset(cfg.preset)
        self._origin = cfg.resolved_origin()
        self.clock = SimClock(date_to_ts(cfg.date) + START_HOUR * 3600)
        self._lock = threading.RLock()
        self._world = World(cfg.seed, self._preset, self._origin)
        self._snapshots = SnapshotCache(self._world)
        self._promotions = queries.Promotions()
        """Visitors promoted by the quirk visitor_churn: kept for the simulator's life."""
        self._api = WistiaApi(self._world, self._promotions)
        self._token: str | None = cfg.token
        self._faults = cfg.faults
        self._quirks = cfg.quirks
        self._limiter = SlidingWindowLimiter(cfg.rate_limit_per_minute, cfg.rate_window_seconds)
        self._stats = RequestStats()
        self._sequence = itertools.count()
        self._storm_left = 0
        self._storm_until = 0.0
        self._server: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None
        started = time.perf_counter()
        self._world.ensure_time(self.clock.now_ts)
        self.build_seconds = time.perf_counter() - started

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> WistiaSimulator:
        if self._server is not None:
            return self
        self._server = SimHTTPServer((self.config.host, self.config.port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="wistia-sim", daemon=True
        )
        self._thread.start()
        logger.info("Wistia simulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> WistiaSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}/v1"

    @property
    def admin_url(self) -> str:
        return f"http://{self.config.host}:{self.port}/_sim"

    # -- world and clock ------------------------------------------------------------------------

    @property
    def account(self) -> World:
        return self._world

    @property
    def origin(self) -> dt.date:
        return self._origin

    @property
    def now(self) -> dt.datetime:
        return self.clock.now

    def advance_days(self, days: int = 1) -> dt.datetime:
        self.clock.advance_days(days)
        self._world.ensure_time(self.clock.now_ts)
        return self.now

    def set_clock(self, moment: dt.datetime) -> dt.datetime:
        self.clock.set(to_ts(moment))
        self._world.ensure_time(self.clock.now_ts)
        return self.now

    def delete_media(self, hashed_id: str) -> None:
        """Delete a media now: it vanishes from /medias and its show/stats endpoints answer 404.

        The world is regenerated with the deletion as an override; everything before now is unchanged.
        """
        with self._lock:
            now = self.clock.now_ts
            media = self._world.media_by_hashed_id(hashed_id)
            if media is None or not media.exists_at(now):
                raise KeyError(f"no media {hashed_id!r} exists at {self.now.isoformat()}")
            deletions = {**self._world.deletions, hashed_id: now}
            world = World(self.config.seed, self._preset, self._origin, deletions)
            world.ensure_time(now)
            self._world = world
            self._snapshots = SnapshotCache(world)
            self._api = WistiaApi(world, self._promotions)

    def ground_truth(self, as_of: dt.datetime | None = None) -> dict[str, Any]:
        at = self.clock.now_ts if as_of is None else to_ts(as_of)
        with self._lock:
            snapshots = self._snapshots
        return ground_truth.build(snapshots.at(at), self._quirks)

    # -- controls -------------------------------------------------------------------------------

    def set_faults(self, profile: FaultProfile) -> None:
        with self._lock:
            self._faults = profile
            self._storm_left = 0

    @property
    def faults(self) -> FaultProfile:
        return self._faults

    def set_quirks(self, quirks: Quirks) -> None:
        """Switch quirks on or off; visitors already promoted by visitor_churn stay where they are."""
        self._quirks = quirks

    @property
    def quirks(self) -> Quirks:
        return self._quirks

    def set_token(self, token: str) -> None:
        if not token:
            raise ValueError("token must be a non-empty string (use revoke_token() to refuse everything)")
        self._token = token

    def revoke_token(self) -> None:
        self._token = None

    def set_rate_limit(self, per_minute: int, window_seconds: float = 60.0) -> None:
        self._limiter.configure(per_minute, window_seconds)

    def stats(self) -> dict[str, Any]:
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    # -- request handling -----------------------------------------------------------------------

    def serve(self, request: Incoming) -> Outcome:
        path = request.path
        if path == "/_sim" or path.startswith("/_sim/"):
            if not is_loopback(request.client_host):
                return Outcome(403, dumps({"error": "admin endpoints are loopback only"}))
            return admin.handle(self, request)
        if path == "/v1" or path.startswith("/v1/"):
            return self._serve_v1(request, path[3:] or "/")
        return Outcome(404, dumps({"error": f"No route matches {path!r}; the API lives under /v1"}))

    def _too_many(self, seconds: float, message: str) -> Outcome:
        value = retry_after_value(seconds, self.config.retry_after_format)
        return Outcome(429, message.encode(), "text/plain; charset=utf-8", [("Retry-After", value)])

    def _serve_v1(self, request: Incoming, path: str) -> Outcome:
        route = route_of(path)[0]
        quirks = self._quirks
        outcome, fault, sequence = self._pre_checks(request, path, quirks)
        if outcome is None:
            with self._lock:
                api, snapshots = self._api, self._snapshots
            snap = snapshots.at(self.clock.now_ts)
            result = api.handle(snap, request.method, path, request.query, Call(quirks, sequence))
            outcome = Outcome(result.status, result.body, result.content_type, result.headers)
            if outcome.status == 200 and fault == "malformed_json":
                outcome.body = outcome.body[:-1] + b",}"
            elif outcome.status == 200 and fault == "truncated_page":
                outcome.truncate = True
            if result.rows is not None:
                delay = quirks.slow_delay(self.config.seed, sequence, result.rows)
                if delay > 0:
                    fault = fault or "slow_page"  # counted with the faults: a quirk's doing, not the API's
                    time.sleep(delay)  # no lock held: other requests go on meanwhile
        self._stats.record(route, outcome.status, fault)
        return outcome

    def _pre_checks(
        self, request: Incoming, path: str, quirks: Quirks
    ) -> tuple[Outcome | None, str | None, int]:
        """Rate limit, injected faults and auth: (a response that ends the request or None, the fault,
        the request's sequence number (-1 when rate limited))."""
        wait = self._limiter.acquire()
        if wait is not None:
            limited = self._too_many(wait, "Rate limit exceeded. Retry after the Retry-After delay.\n")
            return limited, None, -1
        sequence = next(self._sequence)
        profile = self._faults
        with self._lock:
            if self._storm_left > 0 and time.monotonic() < self._storm_until:
                self._storm_left -= 1
                kind: str | None = "rate_limit_storm"
            else:
                kind = profile.decide(self.config.seed, sequence, path)
                self._storm_left = profile.storm_length if kind == "rate_limit_storm" else 0
                self._storm_until = time.monotonic() + profile.storm_seconds
        if kind in ("rate_limit_storm", "http_429"):
            return self._too_many(profile.retry_after, "Too many requests.\n"), kind, sequence
        if kind == "http_503":
            value = retry_after_value(profile.retry_after, self.config.retry_after_format)
            headers = [("Retry-After", value)]
            unavailable = Outcome(503, b"Service Unavailable\n", "text/plain; charset=utf-8", headers)
            return unavailable, kind, sequence
        if kind == "http_500":
            return Outcome(500, dumps({"error": "Internal server error"})), kind, sequence
        if kind == "slow":
            time.sleep(profile.slow_seconds)
        try:
            basic_allowed = "basic_refused" not in quirks
            auth.check(request.headers.get("authorization"), self._token, basic_allowed=basic_allowed)
            auth.check_scope(path, stats_scope="scope_missing" not in quirks)
        except auth.AuthFailure as failure:
            body = dumps({"code": failure.code, "error": failure.message})
            challenge = [("WWW-Authenticate", 'Bearer realm="Wistia API"')]
            return Outcome(401, body, headers=challenge), kind, sequence
        return None, kind, sequence


def describe_clock(sim: WistiaSimulator) -> dict[str, Any]:
    return {
        "now": from_ts(sim.clock.now_ts).isoformat().replace("+00:00", "Z"),
        "date": sim.now.date().isoformat(),
        "origin": sim.origin.isoformat(),
    }
