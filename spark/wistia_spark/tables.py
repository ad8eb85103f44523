"""The Delta tables: columns, keys, partitions, and how each is merged (merge.py turns a spec into SQL).

Every table carries `observed_on` (the run date whose API pull produced the row) and `row_hash` (a hash of
the business columns). A MERGE updates a matched row only when the source is at least as recent and its
values differ, so re-merging the same input changes nothing and an older pull never overwrites a newer one.
Table features stay conservative (no deletion vectors, no column mapping) so Athena reads them natively.
"""

from __future__ import annotations

from dataclasses import dataclass

TABLE_PROPERTIES: dict[str, str] = {
    "delta.enableDeletionVectors": "false",
    "delta.columnMapping.mode": "none",
    "delta.appendOnly": "false",
}

NEWER_AND_CHANGED = "s.observed_on >= t.observed_on AND t.row_hash <> s.row_hash"


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, Spark SQL type), in table order
    keys: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    description: str = ""

    @property
    def ddl(self) -> str:
        """The schema as a Spark DDL string (what spark.createDataFrame and readers accept)."""
        return ", ".join(f"{name} {kind}" for name, kind in self.columns)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


@dataclass(frozen=True)
class MergeSpec:
    """How a source DataFrame is merged into a table (merge.py runs it as one delta-spark MERGE)."""

    table: TableSpec
    update_condition: str | None = NEWER_AND_CHANGED  # SQL over aliases t (target) and s (source)
    insert_only: tuple[str, ...] = ()  # columns written on insert and never updated (e.g. first_seen_on)
    update_only: tuple[str, ...] | None = None  # restrict updates to these columns (None = all others)
    insert: bool = True  # False: only update rows that exist (e.g. marking deletions)

    @property
    def predicate(self) -> str:
        return " AND ".join(f"t.{key} = s.{key}" for key in self.table.keys)

    @property
    def update_columns(self) -> tuple[str, ...]:
        if self.update_only is not None:
            return self.update_only
        return tuple(
            name
            for name in self.table.column_names
            if name not in self.table.keys and name not in self.insert_only
        )


DIM_MEDIA = TableSpec(
    name="dim_media",
    description="One row per media (hashed id): attributes as last listed, channel, lifecycle flags.",
    keys=("media_id",),
    columns=(
        ("media_id", "string"),
        ("media_numeric_id", "bigint"),
        ("name", "string"),
        ("media_type", "string"),
        ("project_id", "string"),
        ("project_name", "string"),
        ("channel", "string"),
        ("tags", "array<string>"),
        ("section", "string"),
        ("duration_seconds", "double"),
        ("status", "string"),
        ("archived", "boolean"),
        ("deleted", "boolean"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("first_seen_on", "date"),
        ("last_seen_on", "date"),
        ("observed_on", "date"),
        ("row_hash", "string"),
    ),
)

DIM_VISITOR = TableSpec(
    name="dim_visitor",
    description="One row per visitor key: activity counts, device, identification (identity hashed).",
    keys=("visitor_key",),
    columns=(
        ("visitor_key", "string"),
        ("created_at", "timestamp"),
        ("last_active_at", "timestamp"),
        ("last_event_key", "string"),
        ("identifying_event_key", "string"),
        ("load_count", "bigint"),
        ("play_count", "bigint"),
        ("browser", "string"),
        ("browser_version", "string"),
        ("platform", "string"),
        ("is_mobile", "boolean"),
        ("is_identified", "boolean"),
        ("email_hash", "string"),
        ("name_hash", "string"),
        ("org_name_hash", "string"),
        ("org_title_hash", "string"),
        ("observed_on", "date"),
        ("row_hash", "string"),
    ),
)

FCT_MEDIA_ENGAGEMENT = TableSpec(
    name="fct_media_engagement",
    description="One row per media per snapshot day: all-time totals as of that day, and the curve.",
    keys=("media_id", "snapshot_date"),
    columns=(
        ("media_id", "string"),
        ("snapshot_date", "date"),
        ("load_count", "bigint"),
        ("play_count", "bigint"),
        ("play_rate", "double"),
        ("hours_watched", "double"),
        ("engagement", "double"),
        ("visitors", "bigint"),
        ("engagement_curve", "array<bigint>"),
        ("rewatch_curve", "array<bigint>"),
        ("observed_on", "date"),
        ("row_hash", "string"),
    ),
)

FCT_MEDIA_DAILY = TableSpec(
    name="fct_media_daily",
    description="One row per media per calendar day (UTC) from /stats/medias/{id}/by_date.",
    keys=("media_id", "stat_date"),
    partition_by=("stat_month",),
    columns=(
        ("media_id", "string"),
        ("stat_date", "date"),
        ("stat_month", "string"),
        ("load_count", "bigint"),
        ("play_count", "bigint"),
        ("hours_watched", "double"),
        ("observed_on", "date"),
        ("row_hash", "string"),
    ),
)

FCT_EVENTS = TableSpec(
    name="fct_events",
    description="One row per event key (a viewing session): when, what, who (pseudonymous), where, device.",
    keys=("event_key",),
    partition_by=("event_date",),
    columns=(
        ("event_key", "string"),
        ("received_at", "timestamp"),
        ("event_date", "date"),
        ("media_id", "string"),
        ("media_name", "string"),
        ("visitor_key", "string"),
        ("percent_viewed", "double"),
        ("embed_url", "string"),
        ("country", "string"),
        ("region", "string"),
        ("city", "string"),
        ("lat", "double"),
        ("lon", "double"),
        ("org", "string"),
        ("ip_hash", "string"),
        ("email_hash", "string"),
        ("conversion_type", "string"),
        ("is_conversion", "boolean"),
        ("conversion_email_hash", "string"),
        ("browser", "string"),
        ("browser_version", "string"),
        ("platform", "string"),
        ("is_mobile", "boolean"),
        ("observed_on", "date"),
        ("row_hash", "string"),
    ),
)

QUARANTINE = TableSpec(
    name="quarantine",
    description="Rows rejected by validation, with the reason; payloads are bronze's (PII already hashed).",
    keys=("run_key", "entity", "source_key", "record_index"),
    partition_by=("quarantined_on",),
    columns=(
        ("run_key", "string"),
        ("entity", "string"),
        ("source_key", "string"),
        ("record_index", "bigint"),
        ("record_key", "string"),
        ("reason", "string"),
        ("payload", "string"),
        ("quarantined_on", "date"),
        ("run_id", "string"),
    ),
)

GOLD_TABLES = (DIM_MEDIA, DIM_VISITOR, FCT_MEDIA_ENGAGEMENT, FCT_MEDIA_DAILY, FCT_EVENTS)
ALL_TABLES = (*GOLD_TABLES, QUARANTINE)

MERGES = {
    "dim_media": MergeSpec(DIM_MEDIA, insert_only=("first_seen_on",)),
    # A full media listing no longer showing a media: flag it, keep its history.
    "dim_media_deletions": MergeSpec(
        DIM_MEDIA,
        update_condition="t.deleted = false",
        update_only=("deleted", "observed_on", "row_hash"),
        insert=False,
    ),
    "dim_visitor": MergeSpec(DIM_VISITOR),
    "fct_media_engagement": MergeSpec(FCT_MEDIA_ENGAGEMENT),
    "fct_media_daily": MergeSpec(FCT_MEDIA_DAILY),
    "fct_events": MergeSpec(FCT_EVENTS),
    "quarantine": MergeSpec(QUARANTINE, update_condition=None, update_only=()),
}


def table_path(lake_uri: str, table: TableSpec) -> str:
    """Where a table lives under the lake: `<lake>/gold/<name>` (quarantine under `<lake>/ops/`)."""
    area = "ops" if table is QUARANTINE else "gold"
    return f"{lake_uri.rstrip('/')}/{area}/{table.name}"
