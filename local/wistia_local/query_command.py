"""`wistia-pipeline query ...`: query the local lake's Delta tables and the Athena views with DuckDB.

`query "SQL"` runs Athena (Trino) SQL, transpiled to DuckDB (`--dialect duckdb` runs DuckDB SQL as is);
`query --view NAME` shows one of the views in `sql/views/`; `query` alone lists the tables and views.
Tables and views are addressed by bare name (`${database}.` prefixes are accepted and stripped).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

from wistia_local import lake_query
from wistia_local.errors import CommandError

# The local mode's mirror of the lake bucket; tables live under <lake>/gold/<name>.
LOCAL_LAKE_DEFAULT = Path(".wistia/s3/wistia-lake")
TABLE_LIMIT_DEFAULT = 50
FORMATS = ("table", "csv", "json")
FLOAT_DIGITS = 4  # table output only; csv and json keep full precision


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "query",
        help="query the local lake (Delta tables and Athena views) with DuckDB",
        description=(
            "Run SQL or show a view over the Delta tables of a local lake. SQL is Athena (Trino) SQL, "
            "transpiled to DuckDB; tables and views are addressed by bare name. "
            "Without SQL or --view, list what is available."
        ),
    )
    parser.add_argument(
        "sql", nargs="?", default=None, help="the SQL to run (default: list tables and views)"
    )
    parser.add_argument(
        "--view",
        metavar="NAME",
        default=None,
        help="show a view from sql/views/ (e.g. media_performance, top_medias)",
    )
    parser.add_argument(
        "--lake",
        type=Path,
        default=LOCAL_LAKE_DEFAULT,
        help=f"lake directory holding gold/ and ops/ (default: {LOCAL_LAKE_DEFAULT})",
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help=f"at most N rows (default: {TABLE_LIMIT_DEFAULT} for table output, all for csv/json; 0: all)",
    )
    parser.add_argument(
        "--dialect",
        choices=(lake_query.SOURCE_DIALECT, lake_query.TARGET_DIALECT),
        default=lake_query.SOURCE_DIALECT,
        help="dialect of the SQL argument (default: trino, as in Athena)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.sql is not None and args.view is not None:
        raise CommandError("give either SQL or --view, not both")
    if args.limit is not None and args.limit < 0:
        raise CommandError("--limit must be 0 (all rows) or more")
    if args.view is not None:
        views = lake_query.view_files()
        if args.view not in views:
            raise lake_query.UnknownViewError(
                f"unknown view {args.view!r}; available: {', '.join(views) or 'none'}"
            )
    limit = args.limit if args.limit is not None else (TABLE_LIMIT_DEFAULT if args.format == "table" else 0)
    with lake_query.open_lake(args.lake) as session:
        for note in session.notes():
            print(f"note: {note}", file=sys.stderr)
        if args.view is not None:
            result = session.view(args.view, limit=limit)
        elif args.sql is not None:
            result = session.query(args.sql, dialect=args.dialect, limit=limit)
        else:
            result = _catalog(session)
    print(render(result, args.format), end="")
    if result.truncated:
        print(
            f"note: showing the first {len(result.rows)} rows; pass --limit 0 for all of them",
            file=sys.stderr,
        )
    return 0


def _catalog(session: lake_query.LakeSession) -> lake_query.QueryResult:
    """What `query` alone prints: every table and view, and whether it can be queried."""
    rows: list[tuple[Any, ...]] = [(name, "table", "loaded") for name in session.tables]
    rows += [(name, "table", "not found") for name in session.missing_tables]
    rows += [(name, "view", "created") for name in session.views]
    rows += [
        (name, "view", f"needs {', '.join(missing)}")
        for name, missing in sorted(session.skipped_views.items())
    ]
    return lake_query.QueryResult(columns=("name", "kind", "status"), rows=rows)


def render(result: lake_query.QueryResult, output_format: str) -> str:
    """The result as text in one of FORMATS, ending with a newline."""
    if output_format == "csv":
        return _csv(result)
    if output_format == "json":
        return _json(result)
    return _table(result)


def _table(result: lake_query.QueryResult) -> str:
    if not result.columns:
        return "(no result)\n"
    cells = [[_cell(value) for value in row] for row in result.rows]
    widths = [len(column) for column in result.columns]
    for row in cells:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    numeric = [
        bool(result.rows) and all(_is_number(row[index]) or row[index] is None for row in result.rows)
        for index in range(len(result.columns))
    ]

    def line(values: list[str]) -> str:
        padded = [
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ]
        return " | ".join(padded).rstrip() + "\n"

    out = [line(list(result.columns)), "-+-".join("-" * width for width in widths) + "\n"]
    out.extend(line(row) for row in cells)
    count = len(result.rows)
    more = "+" if result.truncated else ""
    out.append(f"({count}{more} row{'' if count == 1 and not more else 's'})\n")
    return "".join(out)


def _csv(result: lake_query.QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if result.columns:
        writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if value is None else _text(value, full=True) for value in row])
    return buffer.getvalue()


def _json(result: lake_query.QueryResult) -> str:
    records = [
        {column: _jsonable(value) for column, value in zip(result.columns, row, strict=True)}
        for row in result.rows
    ]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    return "NULL" if value is None else _text(value, full=False)


def _text(value: Any, *, full: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if full or not math.isfinite(value):
            return repr(value)
        text = f"{value:.{FLOAT_DIGITS}f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | dict | tuple):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return str(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)
