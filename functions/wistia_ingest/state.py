"""Pipeline state in one DynamoDB table: watermarks, the run lock, run records and the media catalog.

Key design (partition key `pk`, sort key `sk`, TTL attribute `expires_at`; docs/data-model.md):

| pk          | sk              | holds                                                                 |
|-------------|-----------------|-----------------------------------------------------------------------|
| `WATERMARK` | stream name     | `value` (ISO date or time), `run_id`, `updated_at`                    |
| `LOCK`      | `pipeline`      | `run_id`, `acquired_at`, `lease_expires_at` (epoch s), `expires_at`   |
| `RUN`       | run id          | mode, run key, window, status, counts, error, timestamps, `expires_at` |
| `MEDIA`     | media hashed id | `updated`, `first_seen_run`, `last_seen_run`, `retry_since`,          |
|             |                 | `engagement_basis`                                                    |

Every access is a GetItem, a Query on one partition or a conditional write: no scans.
Watermarks only move forward (a condition on the stored value), and the lock is a conditional put
with a lease, so a crashed run blocks the next one for at most the lease.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from wistia_ingest.errors import WistiaError

WATERMARK_STREAMS = ("medias", "media_sweep", "events", "by_date", "visitors")
LOCK_NAME = "pipeline"


class LockHeldError(WistiaError):
    """Another execution holds the run lock."""


class LockLostError(WistiaError):
    """This run's lease ran out and the lock is no longer its own."""


class StateStore:
    def __init__(self, dynamodb: Any, table: str, *, clock: Callable[[], float] = time.time) -> None:
        self._db = dynamodb
        self.table = table
        self._clock = clock

    # -- watermarks -----------------------------------------------------------------------------------

    def watermarks(self) -> dict[str, str]:
        items = self._query("WATERMARK")
        return {item["sk"]["S"]: item["value"]["S"] for item in items}

    def advance_watermark(self, stream: str, value: str, *, run_id: str) -> bool:
        """Move `stream` forward to `value` (ISO strings compare in time order). False if not forward."""
        if stream not in WATERMARK_STREAMS:
            raise ValueError(f"unknown watermark stream {stream!r}; expected one of {WATERMARK_STREAMS}")
        try:
            self._db.update_item(
                TableName=self.table,
                Key=_key("WATERMARK", stream),
                UpdateExpression="SET #v = :v, run_id = :run, updated_at = :now",
                ConditionExpression="attribute_not_exists(#v) OR #v < :v",
                ExpressionAttributeNames={"#v": "value"},
                ExpressionAttributeValues={
                    ":v": {"S": value},
                    ":run": {"S": run_id},
                    ":now": _s(self._now()),
                },
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    # -- run lock -------------------------------------------------------------------------------------

    def acquire_lock(self, run_id: str, *, lease_seconds: int) -> None:
        """Take the lock, or take over one whose lease expired. Re-entrant for the same run id."""
        now = int(self._clock())
        try:
            self._db.put_item(
                TableName=self.table,
                Item={
                    **_key("LOCK", LOCK_NAME),
                    "run_id": {"S": run_id},
                    "acquired_at": _s(self._now()),
                    "lease_expires_at": {"N": str(now + lease_seconds)},
                    "expires_at": {"N": str(now + lease_seconds + 86400)},
                },
                ConditionExpression="attribute_not_exists(pk) OR lease_expires_at < :now OR run_id = :run",
                ExpressionAttributeValues={":now": {"N": str(now)}, ":run": {"S": run_id}},
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise
            holder = self.lock_holder() or {}
            raise LockHeldError(
                f"another execution ({holder.get('run_id', 'unknown')}) holds the pipeline lock until "
                f"{holder.get('lease_expires_at', 'unknown')}; wait for it to finish, or if it crashed, for "
                "the lease to expire (see docs/runbook.md to release it by hand)"
            ) from None

    def renew_lock(self, run_id: str, *, lease_seconds: int) -> None:
        """Extend this run's lease (from now) before a long step; LockLostError if it is no longer ours."""
        now = int(self._clock())
        try:
            self._db.update_item(
                TableName=self.table,
                Key=_key("LOCK", LOCK_NAME),
                UpdateExpression="SET lease_expires_at = :lease, expires_at = :ttl",
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={
                    ":lease": {"N": str(now + lease_seconds)},
                    ":ttl": {"N": str(now + lease_seconds + 86400)},
                    ":run": {"S": run_id},
                },
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise
            holder = (self.lock_holder() or {}).get("run_id", "nobody")
            raise LockLostError(
                f"run {run_id} no longer holds the pipeline lock (now held by {holder}): its lease ran out. "
                "It stops before merging, so two executions never MERGE the same tables; start it again "
                "once the other finishes, and raise LockLeaseSeconds if runs take this long"
            ) from None

    def release_lock(self, run_id: str) -> bool:
        """Release the lock if this run holds it; False if it was not ours (or already gone)."""
        try:
            self._db.delete_item(
                TableName=self.table,
                Key=_key("LOCK", LOCK_NAME),
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={":run": {"S": run_id}},
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def lock_holder(self) -> dict[str, str] | None:
        item = self._db.get_item(TableName=self.table, Key=_key("LOCK", LOCK_NAME), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        expires = dt.datetime.fromtimestamp(int(item["lease_expires_at"]["N"]), dt.UTC)
        return {"run_id": item["run_id"]["S"], "lease_expires_at": expires.isoformat()}

    # -- run records ----------------------------------------------------------------------------------

    def record_run(self, run_id: str, fields: dict[str, Any], *, ttl_days: int) -> None:
        """Create or update a run record; values are stored as DynamoDB strings, numbers and maps."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": _to_attr(value) for i, value in enumerate(fields.values())}
        assignments = [f"#f{i} = :v{i}" for i in range(len(fields))]
        assignments.append("expires_at = :ttl")
        values[":ttl"] = {"N": str(int(self._clock()) + ttl_days * 86400)}
        self._db.update_item(
            TableName=self.table,
            Key=_key("RUN", run_id),
            UpdateExpression="SET " + ", ".join(assignments),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def run_record(self, run_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self.table, Key=_key("RUN", run_id), ConsistentRead=True).get(
            "Item"
        )
        return {name: _from_attr(value) for name, value in item.items()} if item else None

    # -- media catalog ----------------------------------------------------------------------------------

    def media_catalog(self) -> dict[str, dict[str, Any]]:
        return {
            item["sk"]["S"]: {
                name: _from_attr(value) for name, value in item.items() if name not in ("pk", "sk")
            }
            for item in self._query("MEDIA")
        }

    def upsert_medias(self, medias: Iterable[tuple[str, str]], *, run_id: str) -> None:
        """Record (media id, updated) pairs seen by a listing."""
        for media_id, updated in medias:
            self._db.update_item(
                TableName=self.table,
                Key=_key("MEDIA", media_id),
                UpdateExpression="SET updated = :u, last_seen_run = :run, "
                "first_seen_run = if_not_exists(first_seen_run, :run)",
                ExpressionAttributeValues={":u": {"S": updated}, ":run": {"S": run_id}},
            )

    def remove_medias(self, media_ids: Iterable[str]) -> None:
        for media_id in media_ids:
            self._db.delete_item(TableName=self.table, Key=_key("MEDIA", media_id))

    def set_media_retry(self, media_id: str, since: dt.date) -> None:
        """Remember the earliest day a failed media still needs, so the next run widens its window."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=_key("MEDIA", media_id),
                UpdateExpression="SET retry_since = :d",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(retry_since) OR retry_since > :d)",
                ExpressionAttributeValues={":d": {"S": since.isoformat()}},
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise

    def media_ingested(self, media_id: str, *, engagement_basis: dict[str, Any] | None = None) -> None:
        """A media merged completely: forget its retry day, and remember which totals its latest
        engagement object answers to (so a later run with the same totals need not ask again)."""
        update: dict[str, Any] = {"UpdateExpression": "REMOVE retry_since"}
        if engagement_basis is not None:
            update = {
                "UpdateExpression": "SET engagement_basis = :b REMOVE retry_since",
                "ExpressionAttributeValues": {":b": _to_attr(engagement_basis)},
            }
        try:
            self._db.update_item(
                TableName=self.table,
                Key=_key("MEDIA", media_id),
                ConditionExpression="attribute_exists(pk)",
                **update,
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise

    # -- helpers --------------------------------------------------------------------------------------

    def _query(self, pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = self._db.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        ):
            items.extend(page.get("Items", []))
        return items

    def _now(self) -> str:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(timespec="seconds")


def _key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _conditional_failure(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def _to_attr(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if isinstance(value, dict):
        return {"M": {str(k): _to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_to_attr(v) for v in value]}
    if value is None:
        return {"NULL": True}
    return {"S": str(value)}


def _from_attr(attr: dict[str, Any]) -> Any:
    kind, value = next(iter(attr.items()))
    if kind == "N":
        number = float(value)
        return int(number) if number.is_integer() else number
    if kind == "M":
        return {k: _from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [_from_attr(v) for v in value]
    if kind == "NULL":
        return None
    return value
