"""`wistia-pipeline sim ...`: serve the Wistia API simulator, or export its ground truth."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from wistia_local.arguments import iso_date
from wistia_simulator import PRESETS, FaultProfile, SimulatorConfig, WistiaSimulator
from wistia_simulator.clock import parse_instant
from wistia_simulator.faults import KINDS
from wistia_simulator.quirks import AUTH_QUIRKS, QUIRKS, Quirks

TOKEN_ENV = "WISTIA_API_TOKEN"  # noqa: S105 (the variable's name, not a token)
EXIT_USAGE = 2


def _instant(raw: str) -> dt.datetime:
    try:
        return parse_instant(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="demo",
        help="account size: demo (~12 medias, 30 days), standard (~300 medias, 365 days), "
        "large (~1500 medias, 730 days) (default: demo)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic account (default: 7)")
    parser.add_argument(
        "--date",
        type=iso_date,
        default=None,
        help="simulated date; the clock starts at 06:00 UTC that day (default: today, UTC)",
    )
    parser.add_argument(
        "--origin",
        type=iso_date,
        default=None,
        help="first day of the account's history; keep it fixed to see the same world on a later "
        "--date (default: --date minus the preset's history days)",
    )
    parser.add_argument(
        "--quirks",
        default="none",
        metavar="NAME[,NAME...]",
        help=f"behaviours of the real API to switch on: {', '.join(QUIRKS)}; 'all' = every quirk but "
        f"the two auth ones ({', '.join(AUTH_QUIRKS)}); options like tz_offset=-5, page_cap=10, "
        "slow_share=0.2, slow_seconds=20-60, churn_share=0.3 (default: none)",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = subparsers.add_parser(
        "sim",
        help="run the Wistia API simulator or export its ground truth",
        description="The Wistia API simulator: a deterministic synthetic account served on 127.0.0.1.",
    )
    commands = sim.add_subparsers(dest="sim_command", metavar="SIM_COMMAND", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve http://HOST:PORT/v1/... until Ctrl-C",
        description="Serve the simulated Wistia API (and its /_sim admin API) until interrupted.",
    )
    _add_world_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default: 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8765, help="port to listen on, 0 = any free (default: 8765)"
    )
    serve.add_argument(
        "--token",
        default=None,
        help=f"API token clients must send (default: ${TOKEN_ENV}; required one way or the other)",
    )
    serve.add_argument(
        "--rate-limit",
        type=int,
        default=600,
        help="requests allowed per rate window for the whole account, 0 = unlimited (default: 600)",
    )
    serve.add_argument(
        "--rate-window-seconds",
        type=float,
        default=60.0,
        help="length of the sliding rate-limit window in seconds (default: 60)",
    )
    serve.add_argument(
        "--faults",
        default="none",
        help="fault profile: none, mixed, or a list like 'http_500=0.1,slow@/stats/events=0.05,"
        f"slow_seconds=2' (kinds: {', '.join(KINDS)}) (default: none)",
    )
    serve.add_argument(
        "--retry-after-format",
        choices=["seconds", "http-date"],
        default="seconds",
        help="format of Retry-After on 429/503 responses (default: seconds)",
    )
    serve.set_defaults(func=serve_command)

    truth = commands.add_parser(
        "ground-truth",
        help="write what the API serves at one instant as JSON files",
        description="Export the simulator's ground truth (projects, medias, stats, daily stats, events, "
        "visitors) as of one simulated instant, one JSON file per section plus meta.json.",
    )
    _add_world_options(truth)
    truth.add_argument(
        "--as-of",
        type=_instant,
        default=None,
        help="simulated instant, ISO 8601 (default: 06:00 UTC of --date, where the clock starts)",
    )
    truth.add_argument("--out", type=Path, required=True, help="directory to write the JSON files into")
    truth.set_defaults(func=ground_truth_command)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _config(args: argparse.Namespace, **extra: Any) -> SimulatorConfig:
    values: dict[str, Any] = {"preset": args.preset, "seed": args.seed, "origin": args.origin}
    values["quirks"] = Quirks.parse(args.quirks)
    if args.date is not None:
        values["date"] = args.date
    return SimulatorConfig(**values, **extra)


def serve_command(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        return _error(f"no API token: pass --token or set {TOKEN_ENV} (clients must send the same token)")
    try:
        config = _config(
            args,
            token=token,
            host=args.host,
            port=args.port,
            rate_limit_per_minute=args.rate_limit,
            rate_window_seconds=args.rate_window_seconds,
            faults=FaultProfile.parse(args.faults),
            retry_after_format=args.retry_after_format,
        )
        sim = WistiaSimulator(config)
        sim.start()
    except (ValueError, OSError) as exc:
        return _error(str(exc))
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    try:
        print(f"Wistia simulator ({config.preset}, seed {config.seed}, origin {sim.origin}, clock {sim.now})")
        if config.quirks:
            print(f"Quirks: {', '.join(sorted(config.quirks.names))}")
        print(f"API:   {sim.base_url}")
        print(f"Admin: {sim.admin_url}")
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sim.stop()
    return 0


def ground_truth_command(args: argparse.Namespace) -> int:
    try:
        sim = WistiaSimulator(_config(args))
        truth = sim.ground_truth(args.as_of)
    except ValueError as exc:
        return _error(str(exc))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    header = ("as_of", "account", "quirks", "event_day_offset_hours")
    sections = [key for key in truth if key not in header]
    for key in sections:
        (out / f"{key}.json").write_text(json.dumps(truth[key], indent=1) + "\n", encoding="utf-8")
    meta = {
        "as_of": truth["as_of"],
        **truth["account"],
        "quirks": truth["quirks"],
        "event_day_offset_hours": truth["event_day_offset_hours"],
        "counts": {key: len(truth[key]) for key in sections if isinstance(truth[key], list | dict)},
        "files": [f"{key}.json" for key in sections],
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"ground truth as of {truth['as_of']} written to {out}: " + json.dumps(meta["counts"]))
    return 0
