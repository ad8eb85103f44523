"""`wistia-pipeline simulate`: a simulated week (or N days) of nightly runs, reconciled day by day."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from wistia_local.arguments import QUIRKS_HELP, iso_date
from wistia_local.errors import CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate", help="N nightly runs over a simulated account, each reconciled"
    )
    parser.add_argument("--days", type=int, default=7, help="how many nightly runs (default: 7)")
    parser.add_argument(
        "--preset", default="demo", help="simulator preset: demo, standard, large (default: demo)"
    )
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (default: 7)")
    parser.add_argument(
        "--faults", default="none", help="fault profile during the runs, e.g. mixed (default: none)"
    )
    parser.add_argument("--quirks", default="none", help=QUIRKS_HELP)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=600,
        help="the simulated account's requests per minute, which the pipeline paces itself by (default: "
        "600, Wistia's; raise it to run a large account's nights faster)",
    )
    parser.add_argument(
        "--start", type=iso_date, default=None, help="the first run's day, YYYY-MM-DD (default: today UTC)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the simulation keeps its state and report; emptied first (default: .wistia/simulations/"
        "<preset>-seed<seed>-<faults>[-quirks-<quirks>])",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wistia_local.simulate import simulate, write_report  # noqa: PLC0415 - heavy imports only when used
    from wistia_simulator import PRESETS, FaultProfile  # noqa: PLC0415
    from wistia_simulator.quirks import Quirks  # noqa: PLC0415

    if not 1 <= args.days <= 60:
        raise CommandError("--days must be between 1 and 60")
    if not 60 <= args.rate_limit <= 100_000:
        raise CommandError("--rate-limit must be between 60 and 100000 requests per minute")
    if args.preset not in PRESETS:
        raise CommandError(f"unknown preset {args.preset!r}; choose one of {', '.join(sorted(PRESETS))}")
    try:
        FaultProfile.parse(args.faults)
        Quirks.parse(args.quirks)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    name = f"{args.preset}-seed{args.seed}-{args.faults}"
    if args.quirks != "none":
        name += f"-quirks-{args.quirks}"
    workdir = args.workdir or Path(".wistia/simulations") / name.replace(",", "+").replace("=", "")
    start = args.start or dt.datetime.now(dt.UTC).date()
    print(f"simulating {args.days} nights of the {args.preset} account (seed {args.seed}) from {start}")
    print(
        f"faults during the runs: {args.faults}; quirks of the API: {args.quirks}; {args.rate_limit} req/min"
    )
    simulation = simulate(
        days=args.days,
        start=start,
        preset=args.preset,
        seed=args.seed,
        faults=args.faults,
        quirks=args.quirks,
        rate_limit=args.rate_limit,
        workdir=workdir,
    )
    json_path, markdown_path = write_report(simulation, workdir / "report")
    verdict = "OK" if simulation.ok else "FAILED"
    print(f"\n{verdict}: {simulation.mismatches} mismatches over {len(simulation.days)} days")
    print(f"report: {markdown_path} (and {json_path.name})")
    return 0 if simulation.ok else 1
