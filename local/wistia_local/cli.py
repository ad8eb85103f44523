"""The `wistia-pipeline` command: one entry point, one module per subcommand.

Each subcommand module exposes `register(subparsers)` and sets `func` on its parser, so this file only
wires them together, sets up logging and turns expected failures into a one-line error and an exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys

from wistia_ingest.errors import WistiaError
from wistia_local import (
    bench_command,
    dashboard_command,
    explore_command,
    query_command,
    run_command,
    sim_command,
    simulate_command,
)
from wistia_local.errors import CommandError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wistia-pipeline",
        description="Wistia analytics pipeline: local mode, simulator and tools.",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level for stderr (default: WARNING)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sim_command.register(subparsers)
    explore_command.register(subparsers)
    query_command.register(subparsers)
    dashboard_command.register(subparsers)
    run_command.register(subparsers)
    simulate_command.register(subparsers)
    bench_command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except (CommandError, WistiaError) as exc:
        # Expected failures (bad token, unreachable API, bad option) get one clear line, not a traceback.
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
