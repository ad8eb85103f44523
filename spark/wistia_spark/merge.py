"""The two MERGE executors: delta-spark on EMR Serverless, delta-rs (`deltalake`) locally and in tests.

Both take the same `MergeSpec` and source DataFrame and must leave identical tables, so everything that can
be shared is: source validation (exact columns, cast to the table's types, unique non-null keys), the
predicate with its partition pruning, the update/insert clauses, and the counts. Only creating the table,
running the MERGE and reading its metrics are engine-specific.

Tables are created from the spec (all columns nullable, the spec's partitions, TABLE_PROPERTIES) before the
first merge, so the first run inserts everything. Protocol stays at reader 1 / writer 2 (no deletion
vectors, column mapping or timestamp_ntz) for Athena.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import functions as F

from wistia_spark.tables import TABLE_PROPERTIES, MergeSpec, TableSpec, table_path

EXECUTOR_NAMES = ("deltalake", "delta-spark")
_SAMPLE_KEYS = 5
_DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"


@dataclass(frozen=True)
class MergeResult:
    table: str
    source_rows: int
    inserted: int
    updated: int
    unchanged: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _result(table: TableSpec, source_rows: int, inserted: int, updated: int) -> MergeResult:
    return MergeResult(
        table=table.name,
        source_rows=source_rows,
        inserted=inserted,
        updated=updated,
        unchanged=source_rows - inserted - updated,
    )


class MergeExecutor(Protocol):
    """What the job calls; both executors implement it with identical semantics."""

    name: str

    def table_uri(self, table: TableSpec) -> str: ...

    def read(self, table: TableSpec) -> Any: ...

    def merge(self, spec: MergeSpec, source: Any) -> MergeResult: ...


# --- shared: source validation ------------------------------------------------------------------------


def conform_source(table: TableSpec, source: Any) -> Any:
    """The source with exactly the table's columns, in table order, cast to the table's types."""
    expected = list(table.column_names)
    actual = list(source.columns)
    missing = [name for name in expected if name not in actual]
    extra = [name for name in actual if name not in expected]
    duplicated = sorted({name for name in actual if actual.count(name) > 1})
    if missing or extra or duplicated:
        problems = []
        if missing:
            problems.append(f"missing {missing}")
        if extra:
            problems.append(f"unexpected {extra}")
        if duplicated:
            problems.append(f"duplicated {duplicated}")
        raise ValueError(
            f"source for {table.name} does not match the table's columns: {'; '.join(problems)} "
            f"(expected {expected})"
        )
    try:
        return source.select([F.col(name).cast(kind).alias(name) for name, kind in table.columns])
    except AnalysisException as error:
        raise ValueError(f"source for {table.name} cannot be cast to the table's types: {error}") from error


def key_problems(
    table: TableSpec, null_key_rows: int, duplicate_keys: int, sample: Sequence[Sequence[Any]]
) -> str | None:
    """The error message for bad source keys, or None: the same text from both executors."""
    problems = []
    if null_key_rows:
        problems.append(
            f"{null_key_rows} row(s) with a null key column (a null never matches: re-runs would duplicate)"
        )
    if duplicate_keys:
        shown = ", ".join(str(tuple(row)) for row in sample)
        problems.append(
            f"{duplicate_keys} duplicated key(s), e.g. {shown} (deduplicate the source before merging)"
        )
    if not problems:
        return None
    return f"source for {table.name} has bad keys {list(table.keys)}: {'; '.join(problems)}"


# --- shared: predicate -----------------------------------------------------------------------------------


def sql_literal(value: Any) -> str | None:
    """A literal valid in Spark SQL and DataFusion SQL, or None when the type is not used for pruning."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):  # before date: datetime is a date subclass
        return None
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        # Spark SQL escapes with backslashes and reads '' as two adjacent literals, DataFusion doubles
        # quotes and keeps backslashes: values needing either are left unpruned rather than mis-quoted.
        return None if ("'" in value or "\\" in value) else f"'{value}'"
    return None


def partition_filter(table: TableSpec, values: Mapping[str, Sequence[Any]]) -> str | None:
    """Restrict the target to the partitions present in the source (`t.p IN (...)`), None if not possible.

    Null partition values in the source keep `t.p IS NULL` in play, so pruning never turns a match into an
    insert. A column whose values cannot be written as portable literals is left unpruned.
    """
    clauses = []
    for column in table.partition_by:
        present = list(values.get(column, ()))
        has_null = any(value is None for value in present)
        literals = [sql_literal(value) for value in present if value is not None]
        if any(literal is None for literal in literals) or (not literals and not has_null):
            continue
        ordered = sorted({str(literal) for literal in literals})
        parts = [f"t.{column} IN ({', '.join(ordered)})"] if ordered else []
        if has_null:
            parts.append(f"t.{column} IS NULL")
        clauses.append(parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})")
    return " AND ".join(clauses) if clauses else None


def merge_predicate(spec: MergeSpec, partition_values: Mapping[str, Sequence[Any]] | None = None) -> str:
    """`spec.predicate`, ANDed with partition pruning when the table is partitioned and values are given."""
    pruning = partition_filter(spec.table, partition_values) if partition_values else None
    return f"{spec.predicate} AND {pruning}" if pruning else spec.predicate


def _check_spec(spec: MergeSpec) -> None:
    if not spec.update_columns and not spec.insert:
        raise ValueError(f"merge spec for {spec.table.name} neither updates nor inserts: nothing to do")
    unknown = [name for name in spec.update_columns if name not in spec.table.column_names]
    if unknown:
        raise ValueError(f"merge spec for {spec.table.name} updates unknown columns {unknown}")


# --- deltalake (delta-rs) ------------------------------------------------------------------------------


def s3_storage_options(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """delta-rs object-store options from the usual AWS variables (an endpoint for moto or MinIO locally).

    delta-rs commits on S3 with conditional PUTs, so no locking provider or unsafe-rename flag is needed.
    """
    env = os.environ if environ is None else environ
    options = {
        key: env[key]
        for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
        if env.get(key)
    }
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["AWS_REGION"] = region
    if options.get("AWS_ENDPOINT_URL", "").startswith("http://"):
        options["AWS_ALLOW_HTTP"] = "true"
    return options


def _arrow() -> Any:
    """The Arrow conversions, imported on use: pyarrow is only needed by the delta-rs executor."""
    from wistia_spark import arrow_schema  # noqa: PLC0415

    return arrow_schema


class DeltaRsExecutor:
    """MERGE with delta-rs: the source is collected to the driver as Arrow (fine at local-mode volumes)."""

    name = "deltalake"

    def __init__(self, spark: Any, lake_uri: str, storage_options: Mapping[str, str] | None = None) -> None:
        self.spark = spark
        self.lake_uri = lake_uri
        self._storage_options = dict(storage_options) if storage_options is not None else None

    def table_uri(self, table: TableSpec) -> str:
        return table_path(self.lake_uri, table)

    def _location(self, table: TableSpec) -> tuple[str, dict[str, str] | None]:
        """The URI delta-rs opens and its storage options: local paths bare, s3a:// spelled s3://."""
        uri = self.table_uri(table)
        if uri.startswith("file://"):
            return os.path.abspath(uri[len("file://") :]), None
        if uri.startswith(("s3://", "s3a://")):
            bucket_path = uri.split("://", 1)[1]
            options = self._storage_options if self._storage_options is not None else s3_storage_options()
            return f"s3://{bucket_path}", options
        if "://" in uri:
            return uri, self._storage_options
        return os.path.abspath(uri), None

    def _open(self, table: TableSpec) -> Any:
        from deltalake import DeltaTable  # noqa: PLC0415 (not installed on EMR)

        uri, options = self._location(table)
        if not DeltaTable.is_deltatable(uri, storage_options=options):
            return None
        return DeltaTable(uri, storage_options=options)

    def _create(self, table: TableSpec) -> Any:
        from deltalake import DeltaTable  # noqa: PLC0415 (not installed on EMR)

        uri, options = self._location(table)
        return DeltaTable.create(
            uri,
            schema=_arrow().arrow_schema(table),
            mode="ignore",
            partition_by=list(table.partition_by) or None,
            name=table.name,
            description=table.description or None,
            configuration=dict(TABLE_PROPERTIES),
            storage_options=options,
        )

    def read(self, table: TableSpec) -> Any:
        delta_table = self._open(table)
        if delta_table is None:
            return self.spark.createDataFrame([], schema=table.ddl)
        data = delta_table.to_pyarrow_table(columns=list(table.column_names))
        return _arrow().arrow_to_spark(self.spark, data, table)

    def merge(self, spec: MergeSpec, source: Any) -> MergeResult:
        _check_spec(spec)
        table = spec.table
        arrow = _arrow()
        data = arrow.spark_to_arrow(conform_source(table, source), arrow.arrow_schema(table))
        self._check_keys(table, data)
        delta_table = self._open(table)
        if delta_table is None:
            delta_table = self._create(table)
        if data.num_rows == 0:
            return _result(table, 0, 0, 0)

        partition_values = {column: data[column].unique().to_pylist() for column in table.partition_by}
        merger = delta_table.merge(
            data,
            merge_predicate(spec, partition_values),
            source_alias="s",
            target_alias="t",
            streamed_exec=False,  # the source is in memory: let delta-rs derive file skipping from it
        )
        if spec.update_columns:
            merger = merger.when_matched_update(
                {name: f"s.{name}" for name in spec.update_columns}, predicate=spec.update_condition
            )
        if spec.insert:
            merger = merger.when_not_matched_insert_all()
        metrics = merger.execute()
        return _result(
            table,
            data.num_rows,
            int(metrics.get("num_target_rows_inserted", 0)),
            int(metrics.get("num_target_rows_updated", 0)),
        )

    @staticmethod
    def _check_keys(table: TableSpec, data: Any) -> None:
        import pyarrow.compute as pc  # noqa: PLC0415 (delta-rs path only)

        keys = list(table.keys)
        null_rows = 0
        if any(data[key].null_count for key in keys):
            mask = pc.is_null(data[keys[0]])
            for key in keys[1:]:
                mask = pc.or_(mask, pc.is_null(data[key]))
            null_rows = int(pc.sum(mask).as_py() or 0)
        counts = data.select(keys).group_by(keys).aggregate([([], "count_all")])
        duplicated = counts.filter(pc.greater(counts["count_all"], 1))
        sample = [tuple(row[key] for key in keys) for row in duplicated.slice(0, _SAMPLE_KEYS).to_pylist()]
        message = key_problems(table, null_rows, duplicated.num_rows, sample)
        if message:
            raise ValueError(message)


# --- delta-spark -----------------------------------------------------------------------------------------


class DeltaSparkExecutor:
    """MERGE with delta-spark (EMR Serverless ships the jars; see the sparkSubmitParameters in the docs)."""

    name = "delta-spark"

    def __init__(self, spark: Any, lake_uri: str) -> None:
        extensions = spark.conf.get("spark.sql.extensions", None) or ""
        if _DELTA_EXTENSION not in extensions:
            raise RuntimeError(
                "the delta-spark executor needs a Delta-enabled session: submit with "
                f"--conf spark.sql.extensions={_DELTA_EXTENSION} "
                "--conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog "
                "and the Delta jars (EMR: /usr/share/aws/delta/lib/delta-spark.jar,delta-storage.jar)"
            )
        self.spark = spark
        self.lake_uri = lake_uri

    def table_uri(self, table: TableSpec) -> str:
        return table_path(self.lake_uri, table)

    def _exists(self, table: TableSpec) -> bool:
        from delta.tables import DeltaTable  # noqa: PLC0415 (only on a Delta-enabled cluster)

        return bool(DeltaTable.isDeltaTable(self.spark, self.table_uri(table)))

    def _create(self, table: TableSpec) -> Any:
        from delta.tables import DeltaTable  # noqa: PLC0415 (only on a Delta-enabled cluster)

        builder = (
            DeltaTable.createIfNotExists(self.spark)
            .location(self.table_uri(table))
            .addColumns(self.spark.createDataFrame([], schema=table.ddl).schema)
        )
        if table.description:
            builder = builder.comment(table.description)
        if table.partition_by:
            builder = builder.partitionedBy(*table.partition_by)
        for key, value in TABLE_PROPERTIES.items():
            builder = builder.property(key, value)
        return builder.execute()

    def read(self, table: TableSpec) -> Any:
        if not self._exists(table):
            return self.spark.createDataFrame([], schema=table.ddl)
        return self.spark.read.format("delta").load(self.table_uri(table)).select(*table.column_names)

    def merge(self, spec: MergeSpec, source: Any) -> MergeResult:
        from delta.tables import DeltaTable  # noqa: PLC0415 (only on a Delta-enabled cluster)

        _check_spec(spec)
        table = spec.table
        # Validation, pruning values and the MERGE each scan the source: compute it once.
        data = conform_source(table, source).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            source_rows = self._check_keys(table, data)
            if not self._exists(table):
                self._create(table)
            if source_rows == 0:
                return _result(table, 0, 0, 0)

            partition_values = {
                column: [row[0] for row in data.select(column).distinct().collect()]
                for column in table.partition_by
            }
            delta_table = DeltaTable.forPath(self.spark, self.table_uri(table))
            version_before = self._last_version(delta_table)
            merger = delta_table.alias("t").merge(data.alias("s"), merge_predicate(spec, partition_values))
            if spec.update_columns:
                merger = merger.whenMatchedUpdate(
                    condition=spec.update_condition, set={name: f"s.{name}" for name in spec.update_columns}
                )
            if spec.insert:
                merger = merger.whenNotMatchedInsertAll()
            merger.execute()

            last = delta_table.history(1).select("version", "operation", "operationMetrics").first()
            if last is None or last["version"] == version_before:
                return _result(table, source_rows, 0, 0)
            if last["operation"] != "MERGE":
                raise RuntimeError(
                    f"expected the MERGE at version {last['version']} of {table.name}, found "
                    f"{last['operation']}: another writer committed concurrently"
                )
            metrics = last["operationMetrics"] or {}
            return _result(
                table,
                source_rows,
                int(metrics.get("numTargetRowsInserted", 0)),
                int(metrics.get("numTargetRowsUpdated", 0)),
            )
        finally:
            data.unpersist()

    @staticmethod
    def _last_version(delta_table: Any) -> int:
        row = delta_table.history(1).select("version").first()
        return int(row["version"])

    @staticmethod
    def _check_keys(table: TableSpec, data: Any) -> int:
        """One aggregation for the row count, null keys and duplicated keys; returns the row count."""
        keys = list(table.keys)
        any_null = F.lit(False)
        for key in keys:
            any_null = any_null | F.col(key).isNull()
        per_key = data.groupBy(*keys).agg(F.count(F.lit(1)).alias("_n"))
        stats = per_key.agg(
            F.coalesce(F.sum("_n"), F.lit(0)).alias("rows"),
            F.coalesce(F.sum(F.when(any_null, F.col("_n")).otherwise(0)), F.lit(0)).alias("null_rows"),
            F.coalesce(F.sum(F.when(F.col("_n") > 1, 1).otherwise(0)), F.lit(0)).alias("duplicates"),
        ).first()
        duplicates = int(stats["duplicates"])
        sample: list[tuple[Any, ...]] = []
        if duplicates:
            rows = per_key.filter(F.col("_n") > 1).select(*keys).limit(_SAMPLE_KEYS).collect()
            sample = [tuple(row) for row in rows]
        message = key_problems(table, int(stats["null_rows"]), duplicates, sample)
        if message:
            raise ValueError(message)
        return int(stats["rows"])


def executor_for(name: str, *, spark: Any, lake_uri: str) -> MergeExecutor:
    """The executor for `--merge-engine`: "deltalake" (local, tests) or "delta-spark" (EMR Serverless)."""
    if name == "deltalake":
        return DeltaRsExecutor(spark, lake_uri)
    if name == "delta-spark":
        return DeltaSparkExecutor(spark, lake_uri)
    raise ValueError(f"unknown merge executor {name!r}; valid: {', '.join(EXECUTOR_NAMES)}")
