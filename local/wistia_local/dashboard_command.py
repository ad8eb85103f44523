"""`wistia-pipeline dashboard`: serve the Streamlit dashboard over the local lake (default) or Athena.

Runs `streamlit run dashboard/wistia_dashboard/app.py` in a child process, headless, on 127.0.0.1 unless
`--host` says otherwise, and returns its exit code. The app's own options follow `--` (see
wistia_dashboard/data.py): `--lake DIR`, or `--athena` with the workgroup and database from the options
here or from WISTIA_ATHENA_WORKGROUP / WISTIA_ATHENA_DATABASE.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from wistia_local.errors import CommandError
from wistia_local.query_command import LOCAL_LAKE_DEFAULT

APP_PATH = Path(__file__).resolve().parents[2] / "dashboard" / "wistia_dashboard" / "app.py"
HOST_DEFAULT = "127.0.0.1"
PORT_DEFAULT = 8501


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dashboard",
        help="serve the Streamlit dashboard over the local lake or Athena",
        description=(
            "Serve the analytics dashboard (Streamlit) over the gold views: the local lake by default, "
            "Athena with --athena. Stop it with Ctrl-C."
        ),
    )
    parser.add_argument(
        "--lake",
        type=Path,
        default=LOCAL_LAKE_DEFAULT,
        help=f"lake directory holding gold/ (default: {LOCAL_LAKE_DEFAULT})",
    )
    parser.add_argument(
        "--athena",
        action="store_true",
        help="read Athena instead of the local lake (AWS credentials from the usual boto3 chain)",
    )
    parser.add_argument(
        "--workgroup", default=None, help="with --athena: the workgroup (default: $WISTIA_ATHENA_WORKGROUP)"
    )
    parser.add_argument(
        "--database", default=None, help="with --athena: the Glue database (default: $WISTIA_ATHENA_DATABASE)"
    )
    parser.add_argument(
        "--host", default=HOST_DEFAULT, help=f"address to listen on (default: {HOST_DEFAULT})"
    )
    parser.add_argument("--port", type=int, default=PORT_DEFAULT, help=f"port (default: {PORT_DEFAULT})")
    parser.set_defaults(func=run)


def streamlit_command(args: argparse.Namespace) -> list[str]:
    """The `streamlit run` command line for the options given."""
    if not 0 < args.port < 65536:
        raise CommandError(f"--port {args.port} is not a TCP port (1-65535)")
    if not args.athena and (args.workgroup or args.database):
        raise CommandError("--workgroup and --database apply to Athena only; add --athena")
    app_args = ["--athena"] if args.athena else ["--lake", str(Path(args.lake).resolve())]
    if args.workgroup:
        app_args += ["--workgroup", args.workgroup]
    if args.database:
        app_args += ["--database", args.database]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.headless",
        "true",
        "--server.address",
        args.host,
        "--server.port",
        str(args.port),
        "--client.toolbarMode",
        "viewer",
        "--browser.gatherUsageStats",
        "false",
        "--",
        *app_args,
    ]


def run(args: argparse.Namespace) -> int:
    if not APP_PATH.is_file():
        raise CommandError(f"no dashboard at {APP_PATH}; run from a checkout of the repository")
    command = streamlit_command(args)
    where = "Athena" if args.athena else f"the lake at {args.lake}"
    print(f"dashboard over {where}: http://{args.host}:{args.port} (Ctrl-C stops it)", file=sys.stderr)
    process = subprocess.Popen(command)  # noqa: S603 - our own argv, no shell
    # Ctrl-C reaches both processes (one process group); a SIGTERM to this one is passed on, so stopping
    # the command never leaves a server behind.
    previous = signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.wait()
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
