"""Where the dashboard's data comes from: the local lake (DuckDB over the Delta tables) or Athena.

Both take the same SQL (Athena's Trino dialect with `${database}.` prefixes, see queries.py) and return a
pandas DataFrame, so the panels never know which one they read. The source is chosen by the command line
(`-- --lake DIR` or `-- --athena` after `streamlit run app.py`) or by the environment:

| variable | meaning |
| --- | --- |
| `WISTIA_DASHBOARD_SOURCE` | `local` (default) or `athena` |
| `WISTIA_LAKE_DIR` | the local lake directory (default `.wistia/s3/wistia-lake`) |
| `WISTIA_ATHENA_WORKGROUP` | the Athena workgroup (default `wistia-dev`); its result location is used |
| `WISTIA_ATHENA_DATABASE` | the Glue database holding the tables and views (default `wistia_dev`) |
| `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_PROFILE` | as for any boto3 client |

The Athena source cannot run in this repository's tests (no AWS): its SQL building and result parsing are
tested with a stub client object passed in place of boto3's.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from wistia_local import lake_query

SOURCE_ENV = "WISTIA_DASHBOARD_SOURCE"
LAKE_ENV = "WISTIA_LAKE_DIR"
WORKGROUP_ENV = "WISTIA_ATHENA_WORKGROUP"
DATABASE_ENV = "WISTIA_ATHENA_DATABASE"
# The same default as `wistia-pipeline query` (query_command.LOCAL_LAKE_DEFAULT): the local mode's lake.
LOCAL_LAKE_DEFAULT = Path(".wistia/s3/wistia-lake")
# The names template.yaml gives the workgroup and the Glue database for Environment=dev.
WORKGROUP_DEFAULT = "wistia-dev"
DATABASE_DEFAULT = "wistia_dev"
SOURCES = ("local", "athena")

_DATABASE_NAME = re.compile(r"^[a-z0-9_]+$")  # Glue database names: lower case, digits, underscores


class DashboardDataError(Exception):
    """The dashboard cannot read its data; the message says what to do."""


class NoDataError(DashboardDataError):
    """The source holds no tables yet: the pipeline has not run."""


class DashboardData(Protocol):
    """A source of query results for the panels."""

    @property
    def description(self) -> str:
        """Where the data comes from, for the page's caption."""
        ...

    def query(self, sql: str) -> pd.DataFrame:
        """Run Athena (Trino) SQL with `${database}.` prefixes; columns as the SELECT names them."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SourceConfig:
    kind: str = "local"  # one of SOURCES
    lake_dir: Path = LOCAL_LAKE_DEFAULT
    workgroup: str = WORKGROUP_DEFAULT
    database: str = DATABASE_DEFAULT
    region: str | None = None

    @property
    def key(self) -> str:
        """Identifies the source in Streamlit's caches."""
        if self.kind == "athena":
            return f"athena:{self.region or ''}:{self.workgroup}:{self.database}"
        return f"local:{self.lake_dir.resolve()}"


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wistia_dashboard", allow_abbrev=False, add_help=False)
    parser.add_argument("--lake", type=Path, default=None)
    parser.add_argument("--athena", action="store_true")
    parser.add_argument("--workgroup", default=None)
    parser.add_argument("--database", default=None)
    parser.add_argument("--region", default=None)
    return parser


def source_config(argv: Sequence[str], environ: Mapping[str, str]) -> SourceConfig:
    """The source from the script's arguments (after `--`), else the environment, else the local lake."""
    args, _ = _arguments().parse_known_args(list(argv))
    kind = "athena" if args.athena else environ.get(SOURCE_ENV, "local").strip().lower() or "local"
    if kind not in SOURCES:
        raise DashboardDataError(f"{SOURCE_ENV}={kind!r} is not a source; use one of {', '.join(SOURCES)}")
    database = args.database or environ.get(DATABASE_ENV) or DATABASE_DEFAULT
    if not _DATABASE_NAME.match(database):
        raise DashboardDataError(
            f"Athena database {database!r} is not a Glue database name (lower case, digits, underscores)"
        )
    return SourceConfig(
        kind=kind,
        lake_dir=args.lake or Path(environ.get(LAKE_ENV) or LOCAL_LAKE_DEFAULT),
        workgroup=args.workgroup or environ.get(WORKGROUP_ENV) or WORKGROUP_DEFAULT,
        database=database,
        region=args.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None,
    )


def open_source(config: SourceConfig) -> DashboardData:
    if config.kind == "athena":
        import boto3  # noqa: PLC0415 - only the Athena source needs it

        client = boto3.client("athena", region_name=config.region)
        return AthenaData(client, workgroup=config.workgroup, database=config.database)
    return LocalLakeData(config.lake_dir)


# -- the local lake -------------------------------------------------------------------------------------


class LocalLakeData:
    """The local lake through `wistia_local.lake_query`: the view files transpiled and run in DuckDB."""

    def __init__(self, lake_dir: Path) -> None:
        try:
            self._session = lake_query.open_lake(lake_dir)
        except lake_query.NoTablesError:
            raise NoDataError(
                f"No Delta tables under {lake_dir}. Run `wistia-pipeline run` first (it writes the local "
                "lake), or point the dashboard at a lake with `--lake DIR`."
            ) from None
        except lake_query.LakeQueryError as exc:
            raise DashboardDataError(str(exc)) from None
        self._lock = threading.Lock()  # one DuckDB connection, shared by every browser session
        self.lake_dir = lake_dir

    @property
    def description(self) -> str:
        return f"local lake {self.lake_dir}"

    @property
    def notes(self) -> list[str]:
        """Tables not found and views not created (a partly written lake)."""
        return self._session.notes()

    def query(self, sql: str) -> pd.DataFrame:
        try:
            with self._lock:
                result = self._session.query(sql)
        except lake_query.LakeQueryError as exc:
            raise DashboardDataError(str(exc)) from None
        return pd.DataFrame.from_records(result.rows, columns=list(result.columns))

    def close(self) -> None:
        self._session.close()


# -- Athena ---------------------------------------------------------------------------------------------

_RUNNING_STATES = frozenset({"QUEUED", "RUNNING"})
_INTEGER_TYPES = frozenset({"tinyint", "smallint", "integer", "int", "bigint"})
_FLOAT_TYPES = frozenset({"double", "float", "real", "decimal"})


def athena_sql(sql: str, database: str) -> str:
    """The dashboard's SQL for Athena: `${database}.` becomes the Glue database."""
    return sql.replace("${database}.", f'"{database}".')


def _parse_array(text: str) -> list[Any]:
    """Athena renders arrays as `[1, 2, 3]` (numbers) or `[a, b]` (strings, unquoted)."""
    inner = text.strip()[1:-1].strip()
    if not inner:
        return []
    items = [item.strip() for item in inner.split(",")]
    try:
        return [ast.literal_eval(item) for item in items]
    except (ValueError, SyntaxError):
        return items


def parse_athena_value(text: str | None, kind: str) -> Any:
    """One cell of GetQueryResults (always text, or absent for NULL) as a Python value of its column type."""
    if text is None:
        return None
    kind = kind.lower()
    base = kind.split("(", 1)[0]
    if base in _INTEGER_TYPES:
        return int(text)
    if base in _FLOAT_TYPES:
        return float(text)
    if base == "boolean":
        return text.lower() == "true"
    if base == "date":
        return dt.date.fromisoformat(text)
    if base.startswith("timestamp"):
        stamp = text.removesuffix(" UTC").replace(" ", "T", 1)
        value = dt.datetime.fromisoformat(stamp)
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if base == "array":
        return _parse_array(text)
    return text


def parse_athena_results(pages: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """GetQueryResults pages as a DataFrame: the first row of the first page repeats the column names."""
    if not pages:
        return pd.DataFrame()
    info = pages[0]["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    names = [column["Name"] for column in info]
    kinds = [column["Type"] for column in info]
    records: list[list[Any]] = []
    for number, page in enumerate(pages):
        rows = page["ResultSet"].get("Rows", [])
        if number == 0:
            rows = rows[1:]  # the header row
        for row in rows:
            cells = row.get("Data", [])
            records.append(
                [
                    parse_athena_value(cells[i].get("VarCharValue") if i < len(cells) else None, kind)
                    for i, kind in enumerate(kinds)
                ]
            )
    return pd.DataFrame.from_records(records, columns=names)


class AthenaData:
    """Athena through boto3: StartQueryExecution in the workgroup (its result location and limits apply),
    poll GetQueryExecution, then page through GetQueryResults. `client` is a boto3 Athena client, or in tests
    any object with those three methods."""

    def __init__(
        self,
        client: Any,
        *,
        workgroup: str,
        database: str,
        poll_seconds: float = 0.5,
        timeout_seconds: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.workgroup = workgroup
        self.database = database
        self._poll_seconds = poll_seconds
        self._timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._clock = clock

    @property
    def description(self) -> str:
        return f"Athena workgroup {self.workgroup}, database {self.database}"

    def start(self, sql: str) -> str:
        response = self._client.start_query_execution(
            QueryString=athena_sql(sql, self.database),
            WorkGroup=self.workgroup,
            QueryExecutionContext={"Database": self.database},
        )
        return str(response["QueryExecutionId"])

    def wait(self, execution_id: str) -> None:
        deadline = self._clock() + self._timeout_seconds
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            status = execution["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return
            if state not in _RUNNING_STATES:
                reason = status.get("StateChangeReason", "no reason given")
                raise DashboardDataError(f"Athena query {execution_id} {state.lower()}: {reason}")
            if self._clock() >= deadline:
                self._client.stop_query_execution(QueryExecutionId=execution_id)
                raise DashboardDataError(
                    f"Athena query {execution_id} still {state.lower()} after {self._timeout_seconds:.0f} s; "
                    "stopped it"
                )
            self._sleep(self._poll_seconds)

    def results(self, execution_id: str) -> pd.DataFrame:
        pages: list[Mapping[str, Any]] = []
        token: str | None = None
        while True:
            request: dict[str, Any] = {"QueryExecutionId": execution_id, "MaxResults": 1000}
            if token:
                request["NextToken"] = token
            page = self._client.get_query_results(**request)
            pages.append(page)
            token = page.get("NextToken")
            if not token:
                return parse_athena_results(pages)

    def query(self, sql: str) -> pd.DataFrame:
        try:
            execution_id = self.start(sql)
            self.wait(execution_id)
            return self.results(execution_id)
        except (BotoCoreError, ClientError) as exc:
            raise DashboardDataError(
                f"Athena request failed: {exc} (check AWS credentials, region, workgroup {self.workgroup} "
                f"and database {self.database})"
            ) from None

    def close(self) -> None:
        """Nothing to release: boto3 clients hold no query state."""
