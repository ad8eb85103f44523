"""The MERGE executor (delta-spark, SQL only), run on the Delta jars of the template's EMR release.

Tables it writes are inspected with delta-rs directly (protocol, properties, partitions, stored values), an
independent Delta reader, so the checks do not trust the executor under test.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from pyspark.sql import functions as F

from wistia_spark import merge as merge_module
from wistia_spark.merge import (
    DeltaSparkExecutor,
    MergeResult,
    create_table_sql,
    delta_path,
    merge_predicate,
    merge_sql,
    partition_filter,
    quote_string,
    sql_literal,
)
from wistia_spark.tables import (
    DIM_MEDIA,
    FCT_EVENTS,
    FCT_MEDIA_DAILY,
    FCT_MEDIA_ENGAGEMENT,
    MERGES,
    QUARANTINE,
    TABLE_PROPERTIES,
    MergeSpec,
    TableSpec,
)

UTC = dt.UTC
DAY1 = dt.date(2024, 5, 1)
DAY2 = dt.date(2024, 5, 2)
DAY3 = dt.date(2024, 5, 3)


@pytest.fixture
def lake(tmp_path: Path) -> str:
    return f"file://{tmp_path}/lake"


@pytest.fixture
def executor(spark: Any, lake: str) -> DeltaSparkExecutor:
    return DeltaSparkExecutor(spark, lake)


# --- rows ---------------------------------------------------------------------------------------------------


def media(media_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "media_id": media_id,
        "media_numeric_id": 1000 + sum(map(ord, media_id)),
        "name": f"Video {media_id}",
        "media_type": "Video",
        "project_id": "p1",
        "project_name": "Facebook campaign",
        "channel": "Facebook",
        "tags": ["fb", "spring"],
        "section": None,
        "duration_seconds": 61.5,
        "status": "ready",
        "archived": False,
        "deleted": False,
        "created_at": dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        "updated_at": dt.datetime(2024, 4, 30, 23, 59, 59, tzinfo=UTC),
        "first_seen_on": DAY1,
        "last_seen_on": DAY1,
        "observed_on": DAY1,
        "row_hash": "h0",
    }
    row.update(values)
    return row


def event(event_key: str, event_date: dt.date, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in FCT_EVENTS.column_names}
    row.update(
        event_key=event_key,
        received_at=dt.datetime.combine(event_date, dt.time(12, 30), tzinfo=UTC),
        event_date=event_date,
        media_id="m1",
        visitor_key="v1",
        percent_viewed=0.5,
        country="US",
        is_conversion=False,
        observed_on=event_date,
        row_hash=f"h-{event_key}",
    )
    row.update(values)
    return row


def quarantined(source_key: str, index: int, reason: str = "bad json") -> dict[str, Any]:
    return {
        "run_key": "2024-05-01",
        "entity": "events",
        "source_key": source_key,
        "record_index": index,
        "record_key": None,
        "reason": reason,
        "payload": '{"x": 1}',
        "quarantined_on": DAY1,
        "run_id": "run-1",
    }


def frame(spark: Any, table: TableSpec, rows: list[dict[str, Any]]) -> Any:
    return spark.createDataFrame([tuple(row[name] for name in table.column_names) for row in rows], table.ddl)


def stored(lake: str, table: TableSpec) -> list[dict[str, Any]]:
    """The table's rows as delta-rs reads them (timestamps as UTC instants), sorted by key."""
    path = f"{lake.removeprefix('file://')}/{'ops' if table is QUARANTINE else 'gold'}/{table.name}"
    rows = DeltaTable(path).to_pyarrow_table().select(list(table.column_names)).to_pylist()
    return sorted(rows, key=lambda row: tuple(str(row[key]) for key in table.keys))


def delta_log(lake: str, table: TableSpec) -> DeltaTable:
    return DeltaTable(
        f"{lake.removeprefix('file://')}/{'ops' if table is QUARANTINE else 'gold'}/{table.name}"
    )


EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def read_rows(executor: Any, table: TableSpec) -> list[dict[str, Any]]:
    """What executor.read returns, timestamps as exact UTC instants (PySpark would give naive local times)."""
    timestamps = [name for name, kind in table.columns if kind == "timestamp"]
    frame = executor.read(table).select(
        *[
            F.unix_micros(name).alias(name) if name in timestamps else F.col(name)
            for name in table.column_names
        ]
    )
    rows = []
    for row in frame.collect():
        values = row.asDict(recursive=True)
        for name in timestamps:
            if values[name] is not None:
                values[name] = EPOCH + dt.timedelta(microseconds=values[name])
        rows.append(values)
    return sorted(rows, key=lambda row: tuple(str(row[key]) for key in table.keys))


# --- creation, idempotence ----------------------------------------------------------------------------------


def test_first_merge_creates_the_table_and_inserts_everything(spark: Any, executor: Any, lake: str) -> None:
    rows = [media("a"), media("b", tags=None, duration_seconds=None), media("c", tags=[])]

    result = executor.merge(MERGES["dim_media"], frame(spark, DIM_MEDIA, rows))

    assert result == MergeResult("dim_media", source_rows=3, inserted=3, updated=0, unchanged=0)
    log = delta_log(lake, DIM_MEDIA)
    protocol = log.protocol()
    assert protocol.min_reader_version == 1
    assert protocol.min_writer_version <= 2
    assert not protocol.reader_features
    assert not protocol.writer_features
    configuration = log.metadata().configuration
    for key, value in TABLE_PROPERTIES.items():
        assert configuration.get(key) == value
    assert log.metadata().partition_columns == []
    stored_schema = log.to_pyarrow_table().schema
    assert stored_schema.names == list(DIM_MEDIA.column_names)
    assert all(field.nullable for field in stored_schema)
    assert stored_schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert stored(lake, DIM_MEDIA) == rows


def test_partitioned_table_is_created_with_its_partitions(spark: Any, executor: Any, lake: str) -> None:
    rows = [event("e1", DAY1), event("e2", DAY2), event("e3", DAY2)]

    result = executor.merge(MERGES["fct_events"], frame(spark, FCT_EVENTS, rows))

    assert (result.inserted, result.updated, result.unchanged) == (3, 0, 0)
    log = delta_log(lake, FCT_EVENTS)
    assert log.metadata().partition_columns == ["event_date"]
    assert log.protocol().min_reader_version == 1
    assert log.protocol().min_writer_version <= 2
    assert stored(lake, FCT_EVENTS) == rows


def test_re_merging_identical_input_changes_nothing(spark: Any, executor: Any, lake: str) -> None:
    cases = [
        (MERGES["dim_media"], DIM_MEDIA, [media("a"), media("b", section="s")]),
        (MERGES["fct_events"], FCT_EVENTS, [event("e1", DAY1), event("e2", DAY2)]),
        (MERGES["quarantine"], QUARANTINE, [quarantined("k1", 0), quarantined("k1", 1)]),
    ]
    for spec, table, rows in cases:
        executor.merge(spec, frame(spark, table, rows))
        before = stored(lake, table)

        again = executor.merge(spec, frame(spark, table, rows))

        assert again == MergeResult(table.name, len(rows), inserted=0, updated=0, unchanged=len(rows))
        assert stored(lake, table) == before == rows


def test_newer_changes_apply_older_ones_do_not_and_insert_only_columns_keep_their_first_value(
    spark: Any, executor: Any, lake: str
) -> None:
    spec = MERGES["dim_media"]
    executor.merge(spec, frame(spark, DIM_MEDIA, [media("a"), media("b"), media("c")]))

    newer = media("a", name="Renamed", first_seen_on=DAY2, last_seen_on=DAY2, observed_on=DAY2, row_hash="h1")
    older = media("b", name="Stale", observed_on=dt.date(2024, 4, 30), row_hash="h-old")
    same = media("c")
    new = media("d", first_seen_on=DAY2, observed_on=DAY2)
    result = executor.merge(spec, frame(spark, DIM_MEDIA, [newer, older, same, new]))

    assert result == MergeResult("dim_media", source_rows=4, inserted=1, updated=1, unchanged=2)
    by_id = {row["media_id"]: row for row in stored(lake, DIM_MEDIA)}
    assert by_id["a"] == {**newer, "first_seen_on": DAY1}  # insert_only: first value kept
    assert by_id["b"] == media("b")
    assert by_id["c"] == media("c")
    assert by_id["d"] == new


def test_same_day_correction_applies(spark: Any, executor: Any, lake: str) -> None:
    spec = MERGES["fct_events"]
    executor.merge(spec, frame(spark, FCT_EVENTS, [event("e1", DAY1)]))

    corrected = event("e1", DAY1, percent_viewed=0.9, row_hash="h-corrected")
    result = executor.merge(spec, frame(spark, FCT_EVENTS, [corrected]))

    assert (result.inserted, result.updated) == (0, 1)
    assert stored(lake, FCT_EVENTS) == [corrected]


def test_deletion_spec_only_flags_existing_rows(spark: Any, executor: Any, lake: str) -> None:
    executor.merge(MERGES["dim_media"], frame(spark, DIM_MEDIA, [media("a"), media("b")]))

    gone = media("a", name="ignored", deleted=True, observed_on=DAY3, row_hash="h-deleted")
    unknown = media("zz", deleted=True, observed_on=DAY3, row_hash="h-deleted")
    result = executor.merge(MERGES["dim_media_deletions"], frame(spark, DIM_MEDIA, [gone, unknown]))

    assert result == MergeResult("dim_media", source_rows=2, inserted=0, updated=1, unchanged=1)
    by_id = {row["media_id"]: row for row in stored(lake, DIM_MEDIA)}
    assert set(by_id) == {"a", "b"}
    # Only deleted/observed_on/row_hash move; the name stays as listed.
    assert by_id["a"] == media("a", deleted=True, observed_on=DAY3, row_hash="h-deleted")
    assert by_id["b"] == media("b")

    # Already flagged: the condition t.deleted = false keeps the first deletion.
    later = media("a", deleted=True, observed_on=dt.date(2024, 5, 9), row_hash="h-later")
    again = executor.merge(MERGES["dim_media_deletions"], frame(spark, DIM_MEDIA, [later]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)


def test_deletion_spec_on_a_missing_table_creates_it_empty(spark: Any, executor: Any, lake: str) -> None:
    result = executor.merge(
        MERGES["dim_media_deletions"], frame(spark, DIM_MEDIA, [media("a", deleted=True)])
    )

    assert result == MergeResult("dim_media", source_rows=1, inserted=0, updated=0, unchanged=1)
    assert stored(lake, DIM_MEDIA) == []


def test_insert_only_spec_never_updates(spark: Any, executor: Any, lake: str) -> None:
    spec = MERGES["quarantine"]
    executor.merge(spec, frame(spark, QUARANTINE, [quarantined("k1", 0, "first reason")]))

    result = executor.merge(
        spec, frame(spark, QUARANTINE, [quarantined("k1", 0, "second reason"), quarantined("k2", 0)])
    )

    assert result == MergeResult("quarantine", source_rows=2, inserted=1, updated=0, unchanged=1)
    assert [row["reason"] for row in stored(lake, QUARANTINE)] == ["first reason", "bad json"]
    assert delta_log(lake, QUARANTINE).metadata().partition_columns == ["quarantined_on"]


def test_empty_source_creates_the_table_and_changes_nothing(spark: Any, executor: Any, lake: str) -> None:
    empty = spark.createDataFrame([], FCT_EVENTS.ddl)

    result = executor.merge(MERGES["fct_events"], empty)

    assert result == MergeResult("fct_events", 0, 0, 0, 0)
    assert stored(lake, FCT_EVENTS) == []
    assert delta_log(lake, FCT_EVENTS).metadata().partition_columns == ["event_date"]


# --- validation ---------------------------------------------------------------------------------------------


def test_source_columns_must_match_the_table(spark: Any, executor: Any, lake: str) -> None:
    source = frame(spark, DIM_MEDIA, [media("a")]).drop("row_hash").withColumnRenamed("name", "title")

    with pytest.raises(
        ValueError, match=r"dim_media.*missing \['name', 'row_hash'\]; unexpected \['title'\]"
    ):
        executor.merge(MERGES["dim_media"], source)
    assert not DeltaTable.is_deltatable(executor.table_uri(DIM_MEDIA).removeprefix("file://"))


def test_source_columns_are_cast_to_the_table_types(spark: Any, executor: Any, lake: str) -> None:
    from pyspark.sql import functions as F

    source = (
        frame(spark, DIM_MEDIA, [media("a")])
        .withColumn("media_numeric_id", F.col("media_numeric_id").cast("int"))
        .withColumn("observed_on", F.col("observed_on").cast("string"))
        .select(*reversed(DIM_MEDIA.column_names))
    )

    executor.merge(MERGES["dim_media"], source)

    assert stored(lake, DIM_MEDIA) == [media("a")]


def test_uncastable_source_column_is_a_value_error(spark: Any, executor: Any) -> None:
    from pyspark.sql import functions as F

    source = frame(spark, DIM_MEDIA, [media("a")]).withColumn("tags", F.lit(3))

    with pytest.raises(ValueError, match="dim_media cannot be cast"):
        executor.merge(MERGES["dim_media"], source)


def test_duplicate_source_keys_are_rejected(spark: Any, executor: Any) -> None:
    rows = [media("a"), media("a", name="other"), media("b"), media("c"), media("c")]

    with pytest.raises(ValueError, match=r"dim_media.*2 duplicated key\(s\), e\.g\. .*\('a',\)"):
        executor.merge(MERGES["dim_media"], frame(spark, DIM_MEDIA, rows))
    assert not DeltaTable.is_deltatable(executor.table_uri(DIM_MEDIA).removeprefix("file://"))


def test_null_source_keys_are_rejected(spark: Any, executor: Any) -> None:
    rows = [quarantined("k1", 0), {**quarantined("k1", 1), "source_key": None}]

    with pytest.raises(ValueError, match=r"quarantine.*1 row\(s\) with a null key"):
        executor.merge(MERGES["quarantine"], frame(spark, QUARANTINE, rows))


# --- partition pruning --------------------------------------------------------------------------------------


def test_partition_pruning_predicate() -> None:
    spec = MERGES["fct_events"]

    assert merge_predicate(spec, {"event_date": [DAY2, DAY1, DAY2]}) == (
        "t.event_key = s.event_key AND t.event_date IN (DATE '2024-05-01', DATE '2024-05-02')"
    )
    assert merge_predicate(spec, {"event_date": [DAY1, None]}) == (
        "t.event_key = s.event_key AND (t.event_date IN (DATE '2024-05-01') OR t.event_date IS NULL)"
    )
    assert (
        merge_predicate(spec, {"event_date": [None]}) == "t.event_key = s.event_key AND t.event_date IS NULL"
    )
    assert merge_predicate(spec) == "t.event_key = s.event_key"
    assert merge_predicate(MERGES["dim_media"], {}) == "t.media_id = s.media_id"
    assert partition_filter(FCT_MEDIA_DAILY, {"stat_month": ["2024-05", "2024-04"]}) == (
        "t.stat_month IN ('2024-04', '2024-05')"
    )
    assert partition_filter(FCT_MEDIA_DAILY, {"stat_month": ["2024-05", "it's"]}) == (
        "t.stat_month IN ('2024-05', 'it\\'s')"
    )
    assert partition_filter(FCT_MEDIA_DAILY, {"stat_month": []}) is None
    assert [sql_literal(value) for value in (True, 7, 1.5, dt.datetime(2024, 1, 1), "a\\b")] == [
        "TRUE",
        "7",
        None,
        None,
        "'a\\\\b'",
    ]


def test_pruned_merge_equals_unpruned_merge(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = MERGES["fct_events"]
    first = [event("e1", DAY1), event("e2", DAY2), event("e3", DAY3), event("e4", DAY3)]
    second = [
        event("e2", DAY2, percent_viewed=1.0, observed_on=DAY3, row_hash="x"),  # newer: updated
        event("e3", DAY3, percent_viewed=0.0, observed_on=DAY1, row_hash="y"),  # older: ignored
        event("e5", DAY2),  # new
    ]
    predicates: list[str] = []
    real_predicate: Callable[..., str] = merge_module.merge_predicate

    def spy(spec: Any, values: Any = None) -> str:
        predicates.append(real_predicate(spec, values))
        return predicates[-1]

    monkeypatch.setattr(merge_module, "merge_predicate", spy)
    pruned = DeltaSparkExecutor(spark, f"file://{tmp_path}/pruned")
    pruned.merge(spec, frame(spark, FCT_EVENTS, first))
    pruned_result = pruned.merge(spec, frame(spark, FCT_EVENTS, second))
    assert predicates[-1] == (
        "t.event_key = s.event_key AND t.event_date IN (DATE '2024-05-02', DATE '2024-05-03')"
    )

    monkeypatch.setattr(merge_module, "merge_predicate", lambda spec, values=None: spec.predicate)
    unpruned = DeltaSparkExecutor(spark, f"file://{tmp_path}/unpruned")
    unpruned.merge(spec, frame(spark, FCT_EVENTS, first))
    unpruned_result = unpruned.merge(spec, frame(spark, FCT_EVENTS, second))

    assert (
        pruned_result == unpruned_result == MergeResult("fct_events", 3, inserted=1, updated=1, unchanged=1)
    )
    assert stored(f"file://{tmp_path}/pruned", FCT_EVENTS) == stored(
        f"file://{tmp_path}/unpruned", FCT_EVENTS
    )


# --- read, round trips --------------------------------------------------------------------------------------


def test_read_of_a_missing_table_is_empty_with_the_schema(spark: Any, executor: Any) -> None:
    df = executor.read(FCT_MEDIA_ENGAGEMENT)

    assert df.count() == 0
    assert df.schema == spark.createDataFrame([], FCT_MEDIA_ENGAGEMENT.ddl).schema


def test_read_returns_the_merged_rows(spark: Any, executor: Any) -> None:
    rows = [media("a"), media("b", name=None, tags=["x", None])]
    executor.merge(MERGES["dim_media"], frame(spark, DIM_MEDIA, rows))
    executor.merge(MERGES["dim_media"], frame(spark, DIM_MEDIA, [media("c")]))

    df = executor.read(DIM_MEDIA)

    assert df.schema == spark.createDataFrame([], DIM_MEDIA.ddl).schema
    assert read_rows(executor, DIM_MEDIA) == [*rows, media("c")]


def test_timestamps_arrays_and_nulls_round_trip_in_utc(spark: Any, executor: Any, lake: str) -> None:
    row = {
        "media_id": "m1",
        "snapshot_date": DAY1,
        "load_count": 2**62 + 1,  # beyond float precision: no pandas float detour
        "play_count": None,
        "play_rate": 0.25,
        "hours_watched": None,
        "engagement": 0.5,
        "visitors": 0,
        "engagement_curve": [3, None, 2**53 + 1],
        "rewatch_curve": [],
        "observed_on": DAY1,
        "row_hash": "h",
    }
    nulls = {name: None for name in FCT_MEDIA_ENGAGEMENT.column_names} | {
        "media_id": "m2",
        "snapshot_date": DAY1,
    }
    instant = dt.datetime(2024, 3, 10, 6, 30, 15, 123456, tzinfo=UTC)  # a US DST switch day
    event_row = event("e1", DAY1, received_at=instant)
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        executor.merge(MERGES["fct_media_engagement"], frame(spark, FCT_MEDIA_ENGAGEMENT, [row, nulls]))
        executor.merge(MERGES["fct_events"], frame(spark, FCT_EVENTS, [event_row]))
        read_back = read_rows(executor, FCT_MEDIA_ENGAGEMENT)
        event_back = read_rows(executor, FCT_EVENTS)
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)

    assert stored(lake, FCT_MEDIA_ENGAGEMENT) == read_back == [row, nulls]
    assert stored(lake, FCT_EVENTS)[0]["received_at"] == instant
    assert event_back[0]["received_at"] == instant
    assert event_back == [event_row]


# --- results and SQL text ------------------------------------------------------------------------------


def test_merge_result_json() -> None:
    result = MergeResult("dim_media", source_rows=5, inserted=2, updated=1, unchanged=2)

    assert result.to_json() == {
        "table": "dim_media",
        "source_rows": 5,
        "inserted": 2,
        "updated": 1,
        "unchanged": 2,
    }


def test_create_and_merge_statements() -> None:
    uri = "s3://lake/gold/fct_events"
    create = create_table_sql(FCT_EVENTS, uri)

    assert create.startswith(f"CREATE TABLE IF NOT EXISTS delta.`{uri}` ({FCT_EVENTS.ddl}) USING DELTA ")
    assert "PARTITIONED BY (event_date)" in create
    assert f"COMMENT {quote_string(FCT_EVENTS.description)}" in create
    assert create.endswith(
        "TBLPROPERTIES (" + ", ".join(f"'{key}' = '{value}'" for key, value in TABLE_PROPERTIES.items()) + ")"
    )
    assert "PARTITIONED BY" not in create_table_sql(DIM_MEDIA, uri)

    events = MERGES["fct_events"]
    assert merge_sql(events, uri, "src", "t.event_key = s.event_key") == (
        f"MERGE INTO delta.`{uri}` AS t USING src AS s ON t.event_key = s.event_key "
        f"WHEN MATCHED AND ({events.update_condition}) THEN UPDATE SET "
        + ", ".join(f"t.{name} = s.{name}" for name in events.update_columns)
        + " WHEN NOT MATCHED THEN INSERT *"
    )
    insert_only = merge_sql(MERGES["quarantine"], uri, "src", "p")
    assert insert_only.endswith("ON p WHEN NOT MATCHED THEN INSERT *")
    assert "WHEN MATCHED" not in insert_only
    deletions = merge_sql(MERGES["dim_media_deletions"], uri, "src", "p")
    assert "WHEN NOT MATCHED" not in deletions
    assert "THEN UPDATE SET t.deleted = s.deleted" in deletions


def test_quoting_of_sql_strings_and_locations() -> None:
    assert quote_string("it's a \\ path") == "'it\\'s a \\\\ path'"
    assert delta_path("file:///tmp/lake/gold/x") == "delta.`file:///tmp/lake/gold/x`"
    with pytest.raises(ValueError, match="backtick"):
        delta_path("s3://lake/odd`name")


def test_quotes_and_backslashes_reach_the_table_as_written(spark: Any, lake: str) -> None:
    odd = TableSpec(
        name="odd_table",
        columns=(("k", "string"), ("part", "string"), ("observed_on", "date"), ("row_hash", "string")),
        keys=("k",),
        partition_by=("part",),
        description="Rows a reader's \\ tools quote",
    )
    executor = DeltaSparkExecutor(spark, lake)
    rows = [{"k": "a", "part": "it's", "observed_on": DAY1, "row_hash": "h"}]

    executor.merge(MergeSpec(odd), frame(spark, odd, rows))
    again = executor.merge(
        MergeSpec(odd), frame(spark, odd, [{**rows[0], "row_hash": "h2", "observed_on": DAY2}])
    )

    table = DeltaTable(f"{lake.removeprefix('file://')}/gold/odd_table")
    assert table.metadata().description == "Rows a reader's \\ tools quote"
    assert again == MergeResult("odd_table", 1, inserted=0, updated=1, unchanged=0)
    assert table.to_pyarrow_table().to_pylist() == [{**rows[0], "row_hash": "h2", "observed_on": DAY2}]


def test_the_executor_refuses_a_session_without_delta() -> None:
    plain = types.SimpleNamespace(conf=types.SimpleNamespace(get=lambda key, default=None: default))

    with pytest.raises(
        RuntimeError, match=r"spark\.sql\.extensions=io\.delta\.sql\.DeltaSparkSessionExtension"
    ):
        DeltaSparkExecutor(plain, "file:///tmp/lake")


def test_the_source_is_inspected_in_one_pass_and_bad_keys_are_named(spark: Any) -> None:
    good = frame(spark, QUARANTINE, [quarantined("k1", 0), quarantined("k1", 1), quarantined("k2", 0)])
    bad = frame(
        spark,
        QUARANTINE,
        [quarantined("k1", 0), quarantined("k1", 0), {**quarantined("k2", 0), "source_key": None}],
    )
    events = frame(
        spark, FCT_EVENTS, [event("e1", DAY1), event("e2", DAY2), {**event("e3", DAY2), "event_date": None}]
    )

    assert DeltaSparkExecutor._inspect_source(QUARANTINE, good) == (3, {"quarantined_on": [DAY1]})
    empty = spark.createDataFrame([], QUARANTINE.ddl)
    assert DeltaSparkExecutor._inspect_source(QUARANTINE, empty) == (0, {"quarantined_on": []})
    rows, values = DeltaSparkExecutor._inspect_source(FCT_EVENTS, events)
    assert (rows, sorted(map(str, values["event_date"]))) == (3, ["2024-05-01", "2024-05-02", "None"])
    with pytest.raises(ValueError) as raised:
        DeltaSparkExecutor._inspect_source(QUARANTINE, bad)
    assert str(raised.value) == (
        "source for quarantine has bad keys ['run_key', 'entity', 'source_key', 'record_index']: "
        "1 row(s) with a null key column (a null never matches: re-runs would duplicate); "
        "1 duplicated key(s), e.g. ('2024-05-01', 'events', 'k1', 0) (deduplicate the source before merging)"
    )
