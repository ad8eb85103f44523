"""Spark <-> Arrow for the delta-rs executor: one exact Arrow schema per table, and lossless conversions.

delta-rs takes Arrow data and checks it against the Delta schema, so the Arrow side must match the table
exactly: Delta `timestamp` is Arrow `timestamp[us, tz=UTC]` (a zone-less timestamp would be Delta
`timestamp_ntz`, a table feature that raises the protocol beyond what Athena reads), `date` is `date32`,
arrays are lists whose child is named `element` (what both Spark and delta-rs emit).

Spark 3.5 has no public `DataFrame.toArrow` (added in 4.0), and `toPandas` turns nullable bigints into
float64 (losing precision above 2**53) and timestamps into naive local datetimes. So Spark -> Arrow uses the
Arrow batches Spark itself produces for `toPandas` (`_collect_as_arrow`, present throughout 3.x; `toArrow`
when available), and Arrow -> Spark hands Arrow batches to the JVM (`createDataFrame(pa.Table)` on 4.x).
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql.pandas.serializers import ArrowStreamSerializer

from wistia_spark.tables import TableSpec

_SCALARS: dict[str, Any] = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "long": pa.int64(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
_ARRAY = re.compile(r"^array\s*<\s*(.+)\s*>$")


def arrow_type(spark_type: str) -> Any:
    """The Arrow type delta-rs uses for a Spark SQL type name (only the types our tables use)."""
    normalized = spark_type.strip().lower()
    if normalized in _SCALARS:
        return _SCALARS[normalized]
    array = _ARRAY.match(normalized)
    if array:
        return pa.list_(pa.field("element", arrow_type(array.group(1)), nullable=True))
    raise ValueError(
        f"no Arrow mapping for Spark type {spark_type!r}; supported: {sorted(_SCALARS)}, array<...>"
    )


def arrow_schema(table: TableSpec) -> Any:
    """The table's columns, in order, all nullable (as Delta tables created from the spec are)."""
    return pa.schema([pa.field(name, arrow_type(kind), nullable=True) for name, kind in table.columns])


def conform(data: Any, schema: Any) -> Any:
    """Select the schema's columns in order and cast to its exact types (names must be present)."""
    missing = [name for name in schema.names if name not in data.column_names]
    if missing:
        raise ValueError(f"Arrow data lacks columns {missing}; has {data.column_names}")
    return data.select(schema.names).cast(schema)


def spark_to_arrow(df: Any, schema: Any) -> Any:
    """Collect a Spark DataFrame into a pyarrow Table with exactly `schema` (order, types, nullability).

    Values go JVM -> Arrow without passing through Python objects or pandas, so bigints stay exact,
    timestamps stay UTC instants (whatever the session time zone), nulls stay nulls, and an empty
    DataFrame gives an empty table with the schema.
    """
    to_arrow = getattr(df, "toArrow", None)  # Spark >= 4.0
    if callable(to_arrow):
        data = to_arrow()
    else:
        batches = df._collect_as_arrow()
        data = pa.Table.from_batches(batches) if batches else None
    if data is None or data.num_rows == 0:
        return schema.empty_table()
    return conform(data, schema)


def arrow_to_spark(spark: Any, data: Any, table: TableSpec) -> Any:
    """A Spark DataFrame with `table.ddl` as its schema from Arrow data holding the table's columns.

    Spark 4 takes a pyarrow Table directly. On Spark 3.5 this feeds the Arrow batches to the JVM the way
    `createDataFrame(pandas_df)` does internally once it has built them, skipping pandas (which would turn
    nulls inside bigint arrays into float NaN and NaN doubles into nulls).
    """
    if data.num_rows == 0:
        return spark.createDataFrame([], schema=table.ddl)
    conformed = conform(data, arrow_schema(table))
    schema = spark.createDataFrame([], schema=table.ddl).schema
    if int(spark.version.split(".")[0]) >= 4:
        return spark.createDataFrame(conformed, schema=schema)

    jvm = spark._jvm
    max_rows = spark._jconf.arrowMaxRecordsPerBatch()
    batches = conformed.to_batches(max_chunksize=max_rows if max_rows > 0 else None)
    jiter = spark.sparkContext._serialize_to_jvm(
        batches,
        ArrowStreamSerializer(),
        jvm.PythonSQLUtils.readArrowStreamFromFile,
        jvm.ArrowIteratorServer,
    )
    jdf = jvm.PythonSQLUtils.toDataFrame(jiter, schema.json(), spark._jsparkSession)
    return DataFrame(jdf, spark)
