"""The Transform step: one run's bronze -> every Delta table, merged in sequence, and a summary.

    spark-submit spark/entrypoint.py --manifest s3://lake/bronze/_runs/run=nightly-2026-11-20/manifest.json \
        --lake s3://lake --run-id <execution name>

Tables are merged with delta-spark, whose jars EMR ships (local mode runs the same jars). One job writes
every table of a run, one table at a time, so each table has a single writer. Counts read,
merged and quarantined go to `_runs/run=<key>/transform_summary.json` next to the manifest, and to stdout.
A failure raises: the job run fails and the state machine's Catch takes over; nothing was committed
for the table being merged (a Delta commit is atomic) and watermarks have not moved.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import defaultdict
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from wistia_spark import builders
from wistia_spark.bronze_reader import read_entity
from wistia_spark.merge import DeltaSparkExecutor
from wistia_spark.session import build_session
from wistia_spark.storage import LakeStorage
from wistia_spark.tables import DIM_MEDIA, MERGES

SUMMARY_NAME = "transform_summary.json"


def run_transform(spark: SparkSession, *, manifest_uri: str, lake_uri: str, run_id: str) -> dict[str, Any]:
    started = time.monotonic()
    storage = LakeStorage(spark, lake_uri)
    manifest_key = _key_in_lake(manifest_uri, lake_uri)
    manifest = storage.read_json(manifest_key)
    run_ctx = manifest["run"]
    run = builders.RunInfo(
        run_key=run_ctx["run_key"], run_id=run_id, run_date=dt.date.fromisoformat(run_ctx["run_date"])
    )
    run_prefix = manifest_key.rsplit("/", 1)[0]
    parts = storage.read_json_dir(f"{run_prefix}/parts")
    objects: dict[str, list[str]] = defaultdict(list)
    for part in parts:
        for obj in part.get("objects", []):
            objects[obj["entity"]].append(obj["key"])
    listing = manifest.get("listing", {})
    objects["medias"] = list(listing.get("page_keys", []))

    def read(entity: str) -> DataFrame:
        return read_entity(spark, lake_uri, entity, objects.get(entity, []))

    executor = DeltaSparkExecutor(spark, lake_uri)
    tables: dict[str, Any] = {}
    rejects: list[DataFrame] = []

    def merge(name: str, built: builders.Built, records_in: int) -> None:
        rows = built.rows.cache()
        result = executor.merge(MERGES[name], rows)
        rejected = built.rejects.count()
        tables[name] = {
            "records_in": records_in,
            "quarantined": rejected,
            "duplicates_dropped": built.duplicates,
            **result.to_json(),
        }
        rejects.append(built.rejects)
        rows.unpersist()

    medias = read("medias").cache()
    media_built = builders.build_dim_media(medias, run)
    merge("dim_media", media_built, medias.count())
    if listing.get("full_sweep") and not run_ctx.get("media_ids"):
        known = executor.read(DIM_MEDIA).where("deleted = false").select("media_id")
        deletions = builders.build_media_deletions(known, media_built.rows, run)
        result = executor.merge(MERGES["dim_media_deletions"], deletions)
        tables["dim_media_deletions"] = result.to_json()

    stats, engagement = read("media_stats").cache(), read("media_engagement")
    merge("fct_media_engagement", builders.build_fct_media_engagement(stats, engagement, run), stats.count())

    daily = read("media_by_date").cache()
    merge("fct_media_daily", builders.build_fct_media_daily(daily, run), daily.count())

    events = read("events").cache()
    merge("fct_events", builders.build_fct_events(events, run), events.count())

    visitors = read("visitors").unionByName(read("visitors_by_key")).cache()
    merge("dim_visitor", builders.build_dim_visitor(visitors, run), visitors.count())

    quarantine = rejects[0]
    for frame in rejects[1:]:
        quarantine = quarantine.unionByName(frame)
    quarantined = executor.merge(
        MERGES["quarantine"], quarantine.dropDuplicates(["run_key", "entity", "source_key", "record_index"])
    )

    summary = {
        "run_key": run.run_key,
        "run_id": run_id,
        "run_date": run.run_date.isoformat(),
        "tables": tables,
        "quarantine": quarantined.to_json(),
        "objects_read": {entity: len(keys) for entity, keys in sorted(objects.items())},
        "seconds": round(time.monotonic() - started, 1),
    }
    storage.write_json(f"{run_prefix}/{SUMMARY_NAME}", summary)
    return summary


def _key_in_lake(uri: str, lake_uri: str) -> str:
    root = lake_uri.rstrip("/") + "/"
    if not uri.startswith(root):
        raise ValueError(
            f"--manifest {uri} is not inside --lake {lake_uri}; pass the manifest's full URI in that lake"
        )
    return uri[len(root) :]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wistia-transform", description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", required=True, help="URI of the run's bronze manifest.json")
    parser.add_argument(
        "--lake", required=True, help="URI of the lake root (the bucket): s3://... or file://..."
    )
    parser.add_argument(
        "--run-id", required=True, help="the execution name, recorded with every quarantined row"
    )
    parser.add_argument(
        "--local", action="store_true", help="run Spark with a local master (tests, local mode)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    spark = build_session("wistia-transform", local=args.local)
    try:
        summary = run_transform(
            spark,
            manifest_uri=args.manifest,
            lake_uri=args.lake,
            run_id=args.run_id,
        )
    finally:
        spark.stop()
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
