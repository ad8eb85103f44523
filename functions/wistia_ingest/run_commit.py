"""Close a run: after the merge, move the watermarks forward; in every case, record it and release the lock.

Write before cursor: this runs only after the Transform committed the Delta tables, and moves a stream's
watermark only if that stream was merged and its data is complete (every day of the window has a part).
A failed run (the state machine's Catch) records the cause and releases the lock; watermarks stay put,
so the next run re-pulls the same window.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, Literal

from wistia_ingest.bronze import BronzeStore
from wistia_ingest.run_context import RunContext, failures_prefix_for
from wistia_ingest.settings import Settings
from wistia_ingest.state import StateStore

Outcome = Literal["succeeded", "failed"]
ALL_STREAMS = ("medias", "events", "by_date", "visitors")


def commit_run(
    ctx: RunContext,
    *,
    merged_streams: tuple[str, ...] = ALL_STREAMS,
    transform_summary: dict[str, Any] | None = None,
    settings: Settings,
    state: StateStore,
    bronze: BronzeStore,
) -> dict[str, Any]:
    manifest = bronze.get_json(ctx.manifest_key)
    parts = bronze.read_parts(ctx)
    summary = summarize_parts(parts)
    advanced: dict[str, str] = {}
    if ctx.mode == "nightly":
        advanced = _advance_watermarks(ctx, manifest, parts, merged_streams, state)
        _track_medias(ctx, parts, state)
    record = {
        "status": "succeeded",
        "finished_at": _now(),
        "counts": summary,
        "watermarks_advanced": advanced,
        "transform": transform_summary or {},
    }
    state.record_run(ctx.run_id, record, ttl_days=settings.run_record_ttl_days)
    bronze.put_json(f"{ctx.run_prefix}/summary.json", {"run": ctx.model_dump(mode="json"), **record})
    released = state.release_lock(ctx.run_id)
    return {
        "status": "succeeded",
        "watermarks_advanced": advanced,
        "counts": summary,
        "lock_released": released,
    }


def fail_run(
    run_id: str,
    error: dict[str, Any] | None,
    *,
    settings: Settings,
    state: StateStore,
    bronze: BronzeStore,
) -> dict[str, Any]:
    """Record the failure and release the lock (only if this run holds it). Never touches watermarks.

    Returns the error name and a cause that, for a Map that failed as a whole, says which units failed
    and why (the state machine puts them back in `$.error`, so the execution's cause reads the same).
    """
    name, cause = _error_parts(error)
    if name.startswith("States."):
        cause = " ".join(filter(None, [cause, _unit_failures(run_id, settings, state, bronze)]))
    described = f"{name}: {cause}"[:2000]
    state.record_run(
        run_id,
        {"status": "failed", "finished_at": _now(), "error": described},
        ttl_days=settings.run_record_ttl_days,
    )
    released = state.release_lock(run_id)
    return {
        "status": "failed",
        "error": described,
        "error_name": name,
        "cause": cause[:2000],
        "lock_released": released,
    }


def summarize_parts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    records: Counter[str] = Counter()
    objects: Counter[str] = Counter()
    for part in parts:
        for obj in part.get("objects", []):
            records[obj["entity"]] += int(obj.get("records", 0))
            objects[obj["entity"]] += 1
    return {
        "records": dict(sorted(records.items())),
        "objects": dict(sorted(objects.items())),
        "failed_medias": sorted(f["media_id"] for p in parts for f in p.get("failed", [])),
        "gone_medias": sorted(m for p in parts for m in p.get("gone", [])),
        "parts": len(parts),
    }


def _advance_watermarks(
    ctx: RunContext,
    manifest: dict[str, Any],
    parts: list[dict[str, Any]],
    merged: tuple[str, ...],
    state: StateStore,
) -> dict[str, str]:
    units = {part["unit"] for part in parts}
    targets: dict[str, str] = {}
    if "events" in merged:
        complete = _last_complete_day(ctx, units, parts)
        if complete is not None:
            targets["events"] = complete.isoformat()
    if "by_date" in merged and _all_batches_done(manifest, units):
        targets["by_date"] = ctx.window.end.isoformat()
    listing = manifest.get("listing", {})
    if "medias" in merged and listing.get("high_water"):
        targets["medias"] = listing["high_water"]
    if "medias" in merged and listing.get("full_sweep"):
        targets["media_sweep"] = ctx.run_date.isoformat()
    if "visitors" in merged and "visitors-snapshot" in units:
        targets["visitors"] = ctx.run_date.isoformat()
    return {
        stream: value
        for stream, value in targets.items()
        if state.advance_watermark(stream, value, run_id=ctx.run_id)
    }


def _last_complete_day(ctx: RunContext, units: set[str], parts: list[dict[str, Any]]) -> dt.date | None:
    """The last UTC day no day bucket still to be read can add to.

    Buckets are read for every day of the window up to the last closed one, in order. If the API's day
    buckets run ahead of UTC (an account timezone east of UTC: some bucket held events of the UTC day
    before it), a UTC day's last hours sit in the next day's bucket, so the day before the last bucket
    read is the last complete one. Buckets that trail UTC (west of it) or match it complete the last
    bucket's day. With no such evidence the buckets are taken as UTC, as the API's timestamps are.
    """
    last = None
    for day in ctx.window.days():
        if f"events-{day.isoformat()}" not in units:
            break
        last = day
    buckets_lead_utc = any((part.get("spread") or {}).get("before", 0) for part in parts)
    if last is not None and buckets_lead_utc:
        return last - dt.timedelta(days=1)
    return last


def _all_batches_done(manifest: dict[str, Any], units: set[str]) -> bool:
    return all(f"media-batch-{n:05d}" in units for n in range(1, int(manifest.get("media_batches", 0)) + 1))


def _track_medias(ctx: RunContext, parts: list[dict[str, Any]], state: StateStore) -> None:
    """Failed medias keep the earliest day they still miss; medias that succeeded forget theirs and
    remember the totals their engagement object (now merged) answers to."""
    failed = {f["media_id"] for part in parts for f in part.get("failed", [])}
    succeeded: dict[str, dict[str, Any] | None] = {}
    for part in parts:
        if part.get("stream") != "media":
            continue
        for obj in part.get("objects", []):
            media_id = obj.get("media_id")
            if not media_id or media_id in failed:
                continue
            succeeded.setdefault(media_id, None)
            if obj.get("entity") == "media_engagement" and obj.get("basis"):
                succeeded[media_id] = {**obj["basis"], "snapshot_date": ctx.run_date.isoformat()}
    for media_id in sorted(failed):
        state.set_media_retry(media_id, ctx.window.start)
    for media_id, basis in sorted(succeeded.items()):
        state.media_ingested(media_id, engagement_basis=basis)


def _error_parts(error: dict[str, Any] | None) -> tuple[str, str]:
    """Step Functions' Catch gives {Error, Cause}; keep them short and free of payloads."""
    if not error:
        return "Error", "unknown error"
    name = str(error.get("Error") or error.get("error") or "Error")
    cause = str(error.get("Cause") or error.get("cause") or "")
    return name, cause


def _unit_failures(run_id: str, settings: Settings, state: StateStore, bronze: BronzeStore) -> str:
    """What the units that raised noted, grouped by error: e.g. every media batch's AuthenticationError."""
    run_key = (state.run_record(run_id) or {}).get("run_key")
    if not run_key:
        return ""
    notes = bronze.read_failures(failures_prefix_for(settings.bronze_prefix, str(run_key)))
    groups: dict[tuple[str, str], list[str]] = {}
    for note in notes:
        key = (str(note.get("error")), str(note.get("message")))
        groups.setdefault(key, []).append(str(note.get("unit")))
    described = []
    for (error, message), units in sorted(groups.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(sorted(units)[:3]) + (", ..." if len(units) > 3 else "")
        described.append(f"{len(units)} x {error}: {message} ({shown})")
    return f"Units that failed: {'; '.join(described)}." if described else ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
