"""`wistia-pipeline bench`: the benchmark suite (API efficiency, rate-limit use, incremental cost, end to
end, footprint, the local JVM's flags), each figure against its target, written to
`bench/results/<date>.json` and `.md`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wistia_local.errors import CommandError

DEFAULT_SCRATCH = Path(".wistia/bench")
NAMES = ("api_efficiency", "footprint", "rate_limit", "end_to_end", "incremental_cost", "local_jvm")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench", help="run the benchmarks and report each figure against its target"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=NAMES,
        default=None,
        metavar="NAME",
        help=f"run only this benchmark; repeatable ({', '.join(NAMES)})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: the demo preset instead of standard, small backlogs, no simulated week",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write <date>.json and <date>.md (default: bench/results)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_SCRATCH,
        help=f"scratch space for the benchmarks' workdirs and lakes (default: {DEFAULT_SCRATCH})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wistia_local.bench.report import markdown_table  # noqa: PLC0415 - heavy imports only when used
    from wistia_local.bench.runner import BENCHMARKS, DEFAULT_OUT, run_benchmarks  # noqa: PLC0415

    names = list(dict.fromkeys(args.only or NAMES))
    if set(NAMES) != set(BENCHMARKS):  # pragma: no cover - a guard for whoever adds a benchmark
        raise CommandError(f"bench_command.NAMES {NAMES} and the runner's {sorted(BENCHMARKS)} disagree")
    print(f"benchmarks: {', '.join(names)}{' (quick)' if args.quick else ''}; scratch in {args.workdir}")
    results, path = run_benchmarks(
        names,
        quick=args.quick,
        scratch=args.workdir.resolve(),
        out_dir=(args.out or DEFAULT_OUT).resolve(),
        log=lambda message: print(message, flush=True),
    )
    print()
    print(markdown_table(results))
    print(f"results: {path} (and {path.with_suffix('.md').name})")
    return 1 if any(result.error for result in results) else 0
