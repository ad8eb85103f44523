"""`wistia-pipeline run`: one execution of the pipeline, locally (default) or on the deployed stack.

Locally: the simulator (or `--wistia-base-url` with WISTIA_API_TOKEN), moto, the real state machine and
handlers, and spark-submit, with state kept in `--workdir` so the next run is incremental.
`--target aws --state-machine-arn ARN` starts the deployed state machine instead (the manual re-run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

from wistia_local.arguments import QUIRKS_HELP, iso_date
from wistia_local.errors import CommandError

DEFAULT_WORKDIR = Path(".wistia")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run the pipeline once (locally, or on the deployed stack)")
    parser.add_argument(
        "--date", type=iso_date, default=None, help="the run's day, YYYY-MM-DD (default: today UTC)"
    )
    parser.add_argument("--mode", choices=["nightly", "backfill"], default="nightly", help="default: nightly")
    parser.add_argument("--start", type=iso_date, default=None, help="backfill: first day, inclusive")
    parser.add_argument("--end", type=iso_date, default=None, help="backfill: last day, inclusive")
    parser.add_argument(
        "--media-id", action="append", default=[], help="backfill: only this media; repeatable"
    )
    parser.add_argument("--dry-run", action="store_true", help="plan only: read, report, write nothing")
    parser.add_argument("--full-refresh", action="store_true", help="list every media and snapshot visitors")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help=f"local state between runs (default: {DEFAULT_WORKDIR})",
    )
    parser.add_argument(
        "--preset", default="demo", help="simulator preset: demo, standard, large (default: demo)"
    )
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (default: 7)")
    parser.add_argument("--faults", default="none", help="simulator fault profile (default: none)")
    parser.add_argument("--quirks", default="none", help=QUIRKS_HELP)
    parser.add_argument(
        "--wistia-base-url",
        default=None,
        help="use this Wistia API (token from WISTIA_API_TOKEN) instead of starting the simulator",
    )
    parser.add_argument(
        "--no-insights", action="store_true", help="skip the closing lines from the gold views"
    )
    parser.add_argument("--verbose", action="store_true", help="show the Lambdas' structured logs")
    parser.add_argument("--target", choices=["local", "aws"], default="local", help="default: local")
    parser.add_argument(
        "--state-machine-arn", default=None, help="with --target aws: the deployed state machine"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    _check_options(args)
    if args.target == "aws":
        return _run_on_aws(args)
    from wistia_local.local_session import run_locally  # noqa: PLC0415 - heavy imports only when running

    report = run_locally(
        workdir=args.workdir,
        run_date=args.date,
        execution_input=_execution_input(args),
        preset=args.preset,
        seed=args.seed,
        faults=args.faults,
        quirks=args.quirks,
        wistia_base_url=args.wistia_base_url,
        insights=not args.no_insights,
        verbose=args.verbose,
    )
    return 0 if report.status == "SUCCEEDED" else 1


def _check_options(args: argparse.Namespace) -> None:
    if args.mode == "backfill" and (args.start is None or args.end is None):
        raise CommandError("--mode backfill needs --start and --end (YYYY-MM-DD, inclusive)")
    if args.mode != "backfill" and (args.start or args.end or args.media_id):
        raise CommandError("--start, --end and --media-id belong to --mode backfill")
    if args.target == "aws" and not args.state_machine_arn:
        raise CommandError("--target aws needs --state-machine-arn (the stack output StateMachineArn)")
    if args.wistia_base_url and not os.environ.get("WISTIA_API_TOKEN"):
        raise CommandError("--wistia-base-url needs WISTIA_API_TOKEN in the environment")
    if args.wistia_base_url and args.quirks != "none":
        raise CommandError("--quirks shapes the simulator; it has no meaning with --wistia-base-url")
    from wistia_simulator.quirks import Quirks  # noqa: PLC0415 - the simulator only when running locally

    try:
        Quirks.parse(args.quirks)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _execution_input(args: argparse.Namespace) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if args.mode == "backfill":
        payload.update({"mode": "backfill", "start": args.start.isoformat(), "end": args.end.isoformat()})
        if args.media_id:
            payload["media_ids"] = args.media_id
    if args.dry_run:
        payload["dry_run"] = True
    if args.full_refresh:
        payload["full_refresh"] = True
    return payload


def _run_on_aws(args: argparse.Namespace) -> int:
    """Start the deployed state machine (a manual re-run or backfill) and follow it to the end."""
    import boto3  # noqa: PLC0415

    payload = _execution_input(args)
    if args.date:
        payload["run_date"] = args.date.isoformat()
    name = f"manual-{args.mode}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=args.state_machine_arn, name=name, input=json.dumps(payload))[
        "executionArn"
    ]
    print(f"started {name}: {arn}")
    while True:
        description = sfn.describe_execution(executionArn=arn)
        if description["status"] != "RUNNING":
            break
        time.sleep(10)
    print(f"{name}: {description['status']}")
    if description["status"] != "SUCCEEDED":
        print(f"  error: {description.get('error')}: {description.get('cause')}")
        return 1
    return 0
