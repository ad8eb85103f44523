"""Query the lake's Delta tables locally with DuckDB, through the same view files Athena runs.

The views in `sql/views/` are written once, in Athena's (Trino) dialect, with `${database}.` before
every table. Locally there is no database: the prefix is stripped, sqlglot transpiles Trino to DuckDB,
and the views are created over the Delta tables read with `deltalake` (DuckDB's delta extension needs a
download, which this environment cannot make). Tables are registered as Arrow datasets, so a query reads
only the files and columns it needs, and nothing is copied until a query runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import sqlglot
from deltalake import DeltaTable
from sqlglot import exp
from sqlglot.errors import SqlglotError

from wistia_local.errors import CommandError
from wistia_spark.tables import ALL_TABLES, table_path

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
VIEWS_DIR = SQL_DIR / "views"
DATABASE_PLACEHOLDER = "${database}"
SOURCE_DIALECT = "trino"  # Athena engine v3 runs Trino SQL
TARGET_DIALECT = "duckdb"
TABLE_NAMES = tuple(spec.name for spec in ALL_TABLES)
# Tables whose absence is normal and not worth a note: quarantine appears once a row was rejected.
OPTIONAL_TABLES = frozenset({"quarantine"})

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


class LakeQueryError(CommandError):
    """A local lake query cannot run; the message says what to do."""


class NoTablesError(LakeQueryError):
    """The lake directory holds none of the Delta tables."""


class UnknownViewError(LakeQueryError):
    """The requested view has no file in sql/views."""


class QueryError(LakeQueryError):
    """DuckDB or sqlglot rejected the SQL (a user query or a view file)."""


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool = False  # more rows existed than the limit allowed


def view_files(views_dir: Path = VIEWS_DIR) -> dict[str, Path]:
    """The views by name: one `CREATE OR REPLACE VIEW ${database}.<name>` per `<name>.sql`."""
    return {path.stem: path for path in sorted(views_dir.glob("*.sql"))}


def local_sql(sql: str) -> str:
    """Athena SQL made local: no database prefix, and no placeholder left unresolved."""
    text = sql.replace(f"{DATABASE_PLACEHOLDER}.", "")
    leftover = sorted(set(_PLACEHOLDER.findall(text)))
    if leftover:
        raise QueryError(f"placeholders {', '.join(leftover)} have no local value; only ${{database}}. does")
    return text


def to_duckdb(sql: str) -> list[str]:
    """Trino (Athena) SQL as DuckDB statements, one per input statement."""
    try:
        return list(sqlglot.transpile(sql, read=SOURCE_DIALECT, write=TARGET_DIALECT))
    except SqlglotError as exc:
        raise QueryError(f"cannot read the SQL as Athena (Trino) SQL: {exc}") from None


def referenced_tables(sql: str, *, dialect: str = SOURCE_DIALECT) -> set[str]:
    """Names of the tables and views a statement reads (CTE names excluded), without database prefix."""
    names: set[str] = set()
    for statement in sqlglot.parse(sql, read=dialect):
        if statement is None:
            continue
        created = statement.this if isinstance(statement, exp.Create) else None
        ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            if created is not None and (table is created or table.parent is created):
                continue
            if table.name and table.name not in ctes:
                names.add(table.name)
    return names


@dataclass
class LakeSession:
    """A DuckDB connection over one lake directory, with its tables registered and the views created."""

    connection: Any
    lake_dir: Path
    tables: tuple[str, ...]
    missing_tables: tuple[str, ...]
    views: tuple[str, ...] = ()
    skipped_views: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """What a user should know about the session: tables not found, views that could not be made."""
        lines = []
        absent = [name for name in self.missing_tables if name not in OPTIONAL_TABLES]
        if absent:
            lines.append(f"tables not found under {self.lake_dir}: {', '.join(absent)}")
        for view, needs in sorted(self.skipped_views.items()):
            lines.append(f"view {view} not created: it needs {', '.join(needs)}")
        return lines

    def query(self, sql: str, *, dialect: str = SOURCE_DIALECT, limit: int | None = None) -> QueryResult:
        """Run SQL (Athena/Trino, transpiled, or DuckDB as is) and return the last statement's result.

        `limit` caps the rows fetched (None or 0: all); `truncated` says whether more existed.
        """
        if dialect == SOURCE_DIALECT:
            statements = to_duckdb(local_sql(sql))
        elif dialect == TARGET_DIALECT:
            statements = [sql]
        else:
            raise QueryError(f"unknown dialect {dialect!r}; use {SOURCE_DIALECT} or {TARGET_DIALECT}")
        if not statements:
            raise QueryError("no SQL statement given")
        try:
            cursor = self.connection
            for statement in statements:
                cursor = cursor.execute(statement)
            if cursor.description is None:
                return QueryResult(columns=(), rows=[])
            columns = tuple(str(column[0]) for column in cursor.description)
            if limit:
                rows = [tuple(row) for row in cursor.fetchmany(limit + 1)]
                return QueryResult(columns, rows[:limit], truncated=len(rows) > limit)
            return QueryResult(columns, [tuple(row) for row in cursor.fetchall()])
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {exc}") from None

    def view(self, name: str, *, limit: int | None = None) -> QueryResult:
        """Every row of a view, in a stable order (all columns, left to right)."""
        if name not in self.views:
            if name in self.skipped_views:
                raise LakeQueryError(
                    f"view {name} needs tables not found under {self.lake_dir}: "
                    f"{', '.join(self.skipped_views[name])}; run `wistia-pipeline run` first"
                )
            raise UnknownViewError(f"unknown view {name!r}; available: {', '.join(self.all_views)}")
        # name is one of the views created from sql/views file names, not user text.
        sql = f'SELECT * FROM "{name}" ORDER BY ALL'  # noqa: S608
        return self.query(sql, dialect=TARGET_DIALECT, limit=limit)

    @property
    def all_views(self) -> tuple[str, ...]:
        return tuple(sorted((*self.views, *self.skipped_views)))

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> LakeSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def load_tables(connection: Any, lake_dir: Path) -> tuple[list[str], list[str]]:
    """Register every Delta table found under the lake by its name; return (loaded, missing)."""
    loaded: list[str] = []
    missing: list[str] = []
    for spec in ALL_TABLES:
        path = Path(table_path(str(lake_dir), spec))
        if not (path / "_delta_log").is_dir():
            missing.append(spec.name)
            continue
        try:
            dataset = DeltaTable(str(path)).to_pyarrow_dataset()
        except Exception as exc:  # deltalake raises several types for unreadable logs
            raise QueryError(f"cannot read Delta table {spec.name} at {path}: {exc}") from None
        connection.register(spec.name, dataset)
        loaded.append(spec.name)
    return loaded, missing


def create_views(
    connection: Any, views: Mapping[str, Path], available: Iterable[str]
) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Create each view whose tables (or views) exist, dependencies first; return (created, skipped)."""
    known = set(available)
    pending: dict[str, tuple[list[str], set[str]]] = {}
    for name, path in views.items():
        sql = local_sql(path.read_text(encoding="utf-8"))
        try:
            needs = referenced_tables(sql)
        except SqlglotError as exc:
            raise QueryError(f"view file {path} does not parse as Trino SQL: {exc}") from None
        pending[name] = (to_duckdb(sql), needs)
    created: list[str] = []
    progress = True
    while pending and progress:
        progress = False
        for name in sorted(pending):
            statements, needs = pending[name]
            if not needs <= known:
                continue
            try:
                for statement in statements:
                    connection.execute(statement)
            except duckdb.Error as exc:
                raise QueryError(f"view {name} ({views[name]}) failed in DuckDB: {exc}") from None
            del pending[name]
            known.add(name)
            created.append(name)
            progress = True
    skipped = {name: tuple(sorted(needs - known)) for name, (_, needs) in pending.items()}
    return created, skipped


def open_lake(lake_dir: Path, *, views_dir: Path = VIEWS_DIR) -> LakeSession:
    """Connect DuckDB to the lake: register the Delta tables that exist and create the views over them."""
    if not views_dir.is_dir():
        raise LakeQueryError(f"no view directory at {views_dir}; run from a checkout of the repository")
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")  # timestamps print in UTC, as Athena shows them
        loaded, missing = load_tables(connection, lake_dir)
        if not loaded:
            raise NoTablesError(
                f"no Delta tables found under {lake_dir} (looked for {', '.join(TABLE_NAMES)} under gold/ "
                "and ops/); run `wistia-pipeline run` first, or point --lake at a lake directory"
            )
        created, skipped = create_views(connection, view_files(views_dir), loaded)
    except BaseException:
        connection.close()
        raise
    session = LakeSession(
        connection=connection,
        lake_dir=lake_dir,
        tables=tuple(loaded),
        missing_tables=tuple(missing),
        views=tuple(created),
        skipped_views=skipped,
    )
    for note in session.notes():
        logger.info(note)
    return session
