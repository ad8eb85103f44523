"""Admin endpoints under /_sim (no auth, loopback only, never rate limited or faulted)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from wistia_simulator.api import dumps
from wistia_simulator.clock import parse_instant
from wistia_simulator.faults import FaultProfile
from wistia_simulator.quirks import Quirks
from wistia_simulator.server import Incoming, Outcome

if TYPE_CHECKING:
    from wistia_simulator.simulator import WistiaSimulator


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _body(request: Incoming) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        raise AdminError(400, "body must be a JSON object") from None
    if not isinstance(data, dict):
        raise AdminError(400, "body must be a JSON object")
    return data


def handle(sim: WistiaSimulator, request: Incoming) -> Outcome:
    try:
        return Outcome(200, dumps(_route(sim, request)))
    except AdminError as exc:
        return Outcome(exc.status, dumps({"error": str(exc)}))
    except (ValueError, KeyError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        return Outcome(400, dumps({"error": str(message)}))


def _route(sim: WistiaSimulator, request: Incoming) -> Any:
    from wistia_simulator.simulator import describe_clock  # noqa: PLC0415 (simulator imports admin)

    method, path = request.method, request.path.rstrip("/")
    if method == "GET" and path == "/_sim/health":
        return {
            "status": "ok",
            "preset": sim.config.preset,
            "seed": sim.config.seed,
            **describe_clock(sim),
            "faults": sim.faults.spec,
            "quirks": sim.quirks.spec,
        }
    if path == "/_sim/clock":
        if method == "POST":
            body = _body(request)
            if "advance_days" in body:
                days = body["advance_days"]
                if not isinstance(days, int) or isinstance(days, bool):
                    raise AdminError(400, "advance_days must be an integer")
                sim.advance_days(days)
            elif "now" in body and isinstance(body["now"], str):
                sim.set_clock(parse_instant(body["now"]))
            else:
                raise AdminError(400, 'send {"advance_days": n} or {"now": "<ISO 8601>"}')
        elif method != "GET":
            raise AdminError(405, "use GET or POST")
        return describe_clock(sim)
    if method == "GET" and path == "/_sim/stats":
        return sim.stats()
    if method == "POST" and path == "/_sim/stats/reset":
        sim.reset_stats()
        return sim.stats()
    if method == "POST" and path == "/_sim/faults":
        spec = _body(request).get("profile")
        if not isinstance(spec, str):
            raise AdminError(400, 'send {"profile": "<fault profile>"}')
        sim.set_faults(FaultProfile.parse(spec))
        return {"profile": sim.faults.spec}
    if path == "/_sim/quirks":
        return _quirks(sim, request)
    if method == "POST" and path == "/_sim/token":
        body = _body(request)
        if "token" not in body:
            raise AdminError(400, 'send {"token": "<new token>"} or {"token": null} to revoke')
        token = body["token"]
        if token is None:
            sim.revoke_token()
            return {"token": "revoked"}
        if not isinstance(token, str) or not token:
            raise AdminError(400, "token must be a non-empty string or null")
        sim.set_token(token)
        return {"token": "set"}
    if method == "POST" and path == "/_sim/rate-limit":
        body = _body(request)
        per_minute, window = body.get("per_minute"), body.get("window_seconds", 60.0)
        if not isinstance(per_minute, int) or not isinstance(window, int | float):
            raise AdminError(400, 'send {"per_minute": n, "window_seconds": s}')
        sim.set_rate_limit(per_minute, float(window))
        return {"per_minute": per_minute, "window_seconds": float(window)}
    if method == "POST" and path.startswith("/_sim/medias/") and path.endswith("/delete"):
        hashed_id = path[len("/_sim/medias/") : -len("/delete")]
        sim.delete_media(hashed_id)
        return {"deleted": hashed_id, **describe_clock(sim)}
    if method == "GET" and path == "/_sim/ground-truth":
        raw = request.query.get("as_of", [None])[0]
        return sim.ground_truth(parse_instant(raw) if raw else None)
    raise AdminError(404, f"no admin route {method} {request.path}")


def _quirks(sim: WistiaSimulator, request: Incoming) -> Any:
    """GET: the quirks in force; PUT or POST `{"spec": "..."}`: replace them (400 on a bad spec)."""
    if request.method in ("PUT", "POST"):
        spec = _body(request).get("spec")
        if not isinstance(spec, str):
            raise AdminError(400, 'send {"spec": "<quirks>"}, e.g. {"spec": "tz,page_cap"}')
        sim.set_quirks(Quirks.parse(spec))
    elif request.method != "GET":
        raise AdminError(405, "use GET, or PUT/POST with a spec")
    return sim.quirks.describe()
