"""Bronze: raw API payloads in S3 under deterministic keys, plus the run's manifest parts.

Keys are a function of entity, day, media and logical run only (docs/data-model.md), and objects are
byte-identical for identical payloads (gzip with a fixed mtime, no write timestamps inside), so a re-run
overwrites exactly what it wrote before. Each ingestion unit writes its data objects first and its part
manifest last: a part is the unit's commit marker, and the Spark job reads only what parts list.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from wistia_ingest.run_context import RunContext


@dataclass(frozen=True)
class WrittenObject:
    key: str
    entity: str
    records: int
    media_id: str | None = None
    day: str | None = None
    basis: dict[str, Any] | None = None
    """For an engagement object: the media's totals it answers to (docs/ingestion.md, skipping)."""
    carried_from: str | None = None
    """Set when the payload was read from this earlier object instead of the API (it had not changed)."""


@dataclass
class Part:
    """One ingestion unit's account of what it wrote (and what it could not)."""

    unit: str
    stream: str
    objects: list[WrittenObject] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    spread: dict[str, int] | None = None
    """Events parts: how the day bucket's events sit against its UTC day (event_ingest.day_spread)."""

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "unit": self.unit,
            "stream": self.stream,
            "objects": [asdict(obj) for obj in self.objects],
            "failed": self.failed,
            "gone": self.gone,
            "records": sum(obj.records for obj in self.objects),
        }
        if self.spread is not None:
            body["spread"] = self.spread
        return body


# -- key layout ----------------------------------------------------------------------------------------


def medias_page_key(ctx: RunContext, page: int) -> str:
    return f"{ctx.bronze_prefix}/medias/run={ctx.run_key}/page={page:05d}.json.gz"


def media_stats_key(ctx: RunContext, media_id: str) -> str:
    return f"{ctx.bronze_prefix}/media_stats/snapshot_date={ctx.run_date}/media={media_id}.json.gz"


def media_engagement_key(ctx: RunContext, media_id: str, snapshot_date: dt.date | None = None) -> str:
    """Tonight's engagement object of a media, or that of an earlier `snapshot_date`."""
    day = snapshot_date or ctx.run_date
    return f"{ctx.bronze_prefix}/media_engagement/snapshot_date={day}/media={media_id}.json.gz"


def media_by_date_key(ctx: RunContext, media_id: str) -> str:
    return f"{ctx.bronze_prefix}/media_by_date/run={ctx.run_key}/media={media_id}.json.gz"


def events_day_key(ctx: RunContext, day: dt.date, media_id: str | None = None) -> str:
    name = f"media={media_id}" if media_id else "all"
    return f"{ctx.bronze_prefix}/events/day={day.isoformat()}/{name}.json.gz"


def visitors_snapshot_prefix(ctx: RunContext, snapshot_date: dt.date | None = None) -> str:
    """Where tonight's visitor snapshot pages go, or those of an earlier `snapshot_date`."""
    return f"{ctx.bronze_prefix}/visitors/snapshot_date={snapshot_date or ctx.run_date}/"


def visitors_snapshot_key(ctx: RunContext, page: int) -> str:
    return f"{visitors_snapshot_prefix(ctx)}page={page:05d}.json.gz"


def visitors_by_key_key(ctx: RunContext) -> str:
    return f"{ctx.bronze_prefix}/visitors_by_key/run={ctx.run_key}/visitors.json.gz"


def part_key(ctx: RunContext, unit: str) -> str:
    return f"{ctx.parts_prefix}{unit}.json"


def failure_key(ctx: RunContext, unit: str) -> str:
    return f"{ctx.failures_prefix}{unit}.json"


# -- storage -------------------------------------------------------------------------------------------


def encode_json_gz(payload: Any) -> bytes:
    """Compact JSON, keys in the order received, gzip with mtime 0: same payload, same bytes."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


class BronzeStore:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def put_json_gz(self, key: str, payload: Any) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=encode_json_gz(payload),
            ContentType="application/json",
            ContentEncoding="gzip",
        )

    def put_json(self, key: str, payload: Any) -> None:
        body = json.dumps(payload, indent=1, sort_keys=True, default=str).encode("utf-8")
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

    def get_json(self, key: str) -> Any:
        body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        if key.endswith(".gz"):
            body = gzip.decompress(body)
        return json.loads(body)

    def find_json(self, key: str) -> Any | None:
        """`get_json`, or None if there is no such object (e.g. expired by the bronze lifecycle rule).
        S3 answers 403, not 404, for a missing key to a role that may not list the bucket there."""
        try:
            return self.get_json(key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "AccessDenied", "403", "404"):
                return None
            raise

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": key} for key in keys[start : start + 1000]]
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})

    def write_part(self, ctx: RunContext, part: Part) -> str:
        key = part_key(ctx, part.unit)
        self.put_json(key, part.to_json())
        return key

    def read_parts(self, ctx: RunContext) -> list[dict[str, Any]]:
        return [self.get_json(key) for key in self.list_keys(ctx.parts_prefix)]

    def write_failure(self, ctx: RunContext, unit: str, exc: Exception) -> str:
        """Note why a unit raised, for the failure record: not a part, so nothing reads it as data."""
        key = failure_key(ctx, unit)
        self.put_json(key, {"unit": unit, "error": type(exc).__name__, "message": str(exc)[:500]})
        return key

    def read_failures(self, prefix: str) -> list[dict[str, Any]]:
        return [self.get_json(key) for key in self.list_keys(prefix)]
