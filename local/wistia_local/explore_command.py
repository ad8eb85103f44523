"""`wistia-pipeline explore ...`: run the exploration probes and keep redacted samples.

The token comes from WISTIA_API_TOKEN (or a .env file); `--base-url` points the probes at another API,
such as the simulator. `explore all --simulator demo` starts an in-process simulator with a throwaway
token and runs every probe against it: the demo of this layer.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from wistia_ingest.client import WistiaClient
from wistia_ingest.config import ClientConfig
from wistia_local import explore
from wistia_local.arguments import iso_date
from wistia_local.errors import CommandError

DEFAULT_OUT_DIR = Path("exploration/samples")
Probe = Callable[[WistiaClient, argparse.Namespace], explore.ProbeResult]


def register(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url",
        default=None,
        help="API base URL (default: $WISTIA_BASE_URL, else https://api.wistia.com/v1)",
    )
    common.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help=f"where samples go, one folder per probe (default: {DEFAULT_OUT_DIR})",
    )
    common.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="read WISTIA_API_TOKEN from this file if it is not in the environment (default: .env)",
    )

    parser = subparsers.add_parser("explore", help="run exploration probes against the Wistia API")
    probes = parser.add_subparsers(dest="probe", metavar="PROBE", required=True)

    medias = probes.add_parser("medias", parents=[common], help="one page of /medias")
    _page_options(medias)
    medias.set_defaults(func=_runner(_medias))

    stats = probes.add_parser(
        "media-stats", parents=[common], help="stats, engagement and recent by_date for medias"
    )
    stats.add_argument(
        "--media-id",
        action="append",
        default=[],
        help="hashed media id; repeatable (default: the medias of the first listed pages)",
    )
    stats.add_argument("--per-page", type=int, default=10, help="media page size when listing (default: 10)")
    stats.add_argument("--max-pages", type=int, default=1, help="media pages to list (default: 1)")
    stats.set_defaults(func=_runner(_media_stats))

    visitors = probes.add_parser("visitors", parents=[common], help="one page of /stats/visitors")
    _page_options(visitors)
    visitors.set_defaults(func=_runner(_visitors))

    events = probes.add_parser("events", parents=[common], help="every page of an /stats/events window")
    events.add_argument("--media-id", default=None, help="only this media (default: all)")
    events.add_argument(
        "--start-date", type=iso_date, default=None, help="YYYY-MM-DD, inclusive (default: none)"
    )
    events.add_argument(
        "--end-date", type=iso_date, default=None, help="YYYY-MM-DD, inclusive (default: none)"
    )
    events.add_argument("--per-page", type=int, default=100, help="page size, at most 100 (default: 100)")
    events.add_argument(
        "--max-pages", type=int, default=50, help="stop with an error past this (default: 50)"
    )
    events.set_defaults(func=_runner(_events))

    every = probes.add_parser("all", parents=[common], help="every probe, with small defaults")
    every.add_argument(
        "--simulator",
        metavar="PRESET",
        default=None,
        help="start an in-process Wistia simulator on this preset (e.g. demo) and probe it",
    )
    every.add_argument("--seed", type=int, default=7, help="simulator seed (default: 7)")
    every.add_argument(
        "--date", type=iso_date, default=None, help="simulator clock date, YYYY-MM-DD (default: today UTC)"
    )
    every.set_defaults(func=_run_all)


def _page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--page", type=int, default=1, help="page number, from 1 (default: 1)")
    parser.add_argument("--per-page", type=int, default=10, help="page size, at most 100 (default: 10)")


def _medias(client: WistiaClient, args: argparse.Namespace) -> explore.ProbeResult:
    return explore.probe_medias(client, page=args.page, per_page=args.per_page)


def _media_stats(client: WistiaClient, args: argparse.Namespace) -> explore.ProbeResult:
    return explore.probe_media_stats(
        client,
        media_ids=args.media_id,
        per_page=args.per_page,
        max_pages=args.max_pages,
        today=getattr(args, "today", None) or dt.datetime.now(dt.UTC).date(),
    )


def _visitors(client: WistiaClient, args: argparse.Namespace) -> explore.ProbeResult:
    return explore.probe_visitors(client, page=args.page, per_page=args.per_page)


def _events(client: WistiaClient, args: argparse.Namespace) -> explore.ProbeResult:
    return explore.probe_events(
        client,
        media_id=args.media_id,
        start_date=args.start_date,
        end_date=args.end_date,
        per_page=args.per_page,
        max_pages=args.max_pages,
    )


def _runner(probe: Probe) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        config = _client_config(args.base_url, args.env_file)
        with WistiaClient(config) as client:
            _run_probe(probe, client, args, config.base_url)
        return 0

    return run


def _run_all(args: argparse.Namespace) -> int:
    with _api(args) as (config, today), WistiaClient(config) as client:
        plan: list[tuple[Probe, dict[str, Any]]] = [
            (_medias, {"page": 1, "per_page": 10}),
            (_media_stats, {"media_id": [], "per_page": 10, "max_pages": 1, "today": today}),
            (_visitors, {"page": 1, "per_page": 10}),
            (
                _events,
                {
                    "media_id": None,
                    "start_date": today - dt.timedelta(days=3),
                    "end_date": today - dt.timedelta(days=1),
                    "per_page": 100,
                    "max_pages": 50,
                },
            ),
        ]
        for probe, options in plan:
            _run_probe(probe, client, argparse.Namespace(**vars(args), **options), config.base_url)
    return 0


@contextlib.contextmanager
def _api(args: argparse.Namespace) -> Iterator[tuple[ClientConfig, dt.date]]:
    """The API to probe: the configured one, or a simulator started for the duration of the command."""
    if args.simulator is None:
        yield _client_config(args.base_url, args.env_file), args.date or dt.datetime.now(dt.UTC).date()
        return
    # Imported here so that probing the real API does not build the simulator's modules.
    from wistia_simulator import SimulatorConfig, WistiaSimulator  # noqa: PLC0415

    token = secrets.token_urlsafe(24)
    today = args.date or dt.datetime.now(dt.UTC).date()
    try:
        sim_config = SimulatorConfig(preset=args.simulator, seed=args.seed, date=today, token=token)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    with WistiaSimulator(sim_config) as sim:
        print(f"simulator: preset {args.simulator}, seed {args.seed}, clock {sim.now.isoformat()}")
        print(f"simulator: serving {sim.base_url}")
        yield ClientConfig(base_url=sim.base_url, token=token), today


def _client_config(base_url: str | None, env_file: Path) -> ClientConfig:
    if env_file.is_file():
        load_dotenv(env_file, override=False)
    overrides: dict[str, Any] = {"base_url": base_url} if base_url else {}
    return ClientConfig.from_env(os.environ, **overrides)


def _run_probe(probe: Probe, client: WistiaClient, args: argparse.Namespace, base_url: str) -> None:
    result = probe(client, args)
    path = explore.write_sample(result, args.out_dir, base_url=base_url, now=dt.datetime.now(dt.UTC))
    print(f"\n== {result.kind}: {len(result.items)} items -> {path}")
    for key, value in result.summary.items():
        shown = json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value
        print(f"   {key}: {shown}")
