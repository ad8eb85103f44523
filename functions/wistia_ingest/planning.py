"""Plan one execution: lock, window, media listing, batches, manifest. Returns pointers and counts only.

Medias are listed incrementally (`sort_by=updated`, newest first, stopping below the watermark) and, on
a full sweep (every MEDIA_FULL_SWEEP_DAYS, on `full_refresh`, or when nothing is known yet), completely,
which is the only way to notice deletions. The media catalog in DynamoDB is the set of medias the
pipeline believes exist; ingestion covers all of them every night because their totals move.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from wistia_ingest.bronze import BronzeStore, medias_page_key
from wistia_ingest.client import WistiaClient
from wistia_ingest.errors import AuthenticationError, WistiaError
from wistia_ingest.run_context import RunContext, VisitorPlan, Window, run_key_for
from wistia_ingest.run_request import (
    InvalidRunRequestError,
    RunRequest,
    backfill_window,
    nightly_window,
)
from wistia_ingest.settings import Settings
from wistia_ingest.state import StateStore

VISITOR_SNAPSHOT_EVERY_DAYS = 7
logger = logging.getLogger("wistia_ingest.planning")


@dataclass
class MediaListing:
    full_sweep: bool
    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # media id -> updated (ISO)

    @property
    def high_water(self) -> str | None:
        return max(self.seen.values(), default=None)


def plan_run(
    request: RunRequest,
    *,
    run_id: str,
    today: dt.date,
    settings: Settings,
    state: StateStore,
    bronze: BronzeStore,
    client: WistiaClient,
) -> dict[str, Any]:
    run_date = request.run_date or today
    if run_date > today:
        raise InvalidRunRequestError(f"run_date {run_date} is in the future (today is {today})")
    watermarks = state.watermarks()
    window = _window(request, run_date, watermarks, settings)
    full_sweep = _sweep_due(request, run_date, watermarks, settings)
    media_ids = request.media_ids
    ctx = RunContext(
        run_id=run_id,
        run_key=run_key_for(request.mode, run_date, window, media_ids),
        mode=request.mode,
        run_date=run_date,
        window=window,
        bucket=settings.lake_bucket,
        bronze_prefix=settings.bronze_prefix,
        media_ids=media_ids,
        full_sweep=full_sweep,
        visitors=_visitor_plan(request, run_date, watermarks, settings),
        # Totals are as of now: a re-run for an earlier run_date must not file them under that date.
        stats_snapshot=request.mode == "nightly" and run_date == today,
    )
    catalog = state.media_catalog()
    listing = _list_medias(client, full_sweep=full_sweep or not catalog, watermark=watermarks.get("medias"))
    if media_ids:
        known = set(catalog) | set(listing.seen)
        unknown = sorted(set(media_ids) - known)
        if unknown:  # neither in the catalog nor in tonight's listing (a fresh catalog forces a full one)
            raise InvalidRunRequestError(
                f"unknown media ids {unknown}: they are not in the account; check the hashed ids"
            )
        selected = {media_id: catalog.get(media_id, {}) for media_id in media_ids}
    else:
        selected = dict(catalog)
        for media_id in listing.seen:
            selected.setdefault(media_id, {})
        if listing.full_sweep:
            selected = {media_id: info for media_id, info in selected.items() if media_id in listing.seen}
    probed = _check_stats_permission(client, ctx, selected)
    batches = _batches(
        selected, settings.media_batch_size, engagement_bases=not request.full_refresh, probed=probed
    )
    days = [day.isoformat() for day in window.days()]
    manifest = {
        "run": ctx.model_dump(mode="json"),
        "listing": {
            "full_sweep": listing.full_sweep,
            "pages": len(listing.pages),
            "medias_seen": len(listing.seen),
            "high_water": listing.high_water,
            "page_keys": [medias_page_key(ctx, n) for n in range(1, len(listing.pages) + 1)],
        },
        "medias": len(selected),
        "media_batches": len(batches),
        "days": days,
    }
    result = {
        "run": ctx.model_dump(mode="json"),
        "dry_run": request.dry_run,
        "media_batches": {"bucket": ctx.bucket, "key": ctx.media_batches_key},
        # The IngestMedia Map's ResultWriter destination: its children's results stay in S3, out of the
        # execution's state (256 KiB).
        "map_results": {"bucket": ctx.bucket, "prefix": ctx.map_results_prefix},
        "days": days,
        "counts": {
            "medias": len(selected),
            "media_batches": len(batches),
            "days": len(days),
            "listing_pages": len(listing.pages),
            "requests": client.stats.as_dict()["requests_sent"],
        },
        "full_sweep": listing.full_sweep,
        "visitors": ctx.visitors,
        # What the Transform step and the Map states read: one source for the Map settings (the same
        # MAP_MAX_CONCURRENCY the rate budget divides by).
        "manifest_uri": f"s3://{ctx.bucket}/{ctx.manifest_key}",
        "lake_uri": f"s3://{ctx.bucket}",
        "map": {
            "max_concurrency": settings.map_max_concurrency,
            "tolerated_failure_percentage": float(settings.tolerated_failure_percentage),
        },
    }
    if request.dry_run:
        return result

    # Everything above only read; the lock guards everything below, which writes.
    state.acquire_lock(run_id, lease_seconds=settings.lock_lease_seconds)
    # A re-run of the same logical run starts clean: parts and failure notes of an earlier attempt must
    # not be read.
    bronze.delete_keys(bronze.list_keys(ctx.parts_prefix) + bronze.list_keys(ctx.failures_prefix))
    stale_pages = set(bronze.list_keys(f"{ctx.bronze_prefix}/medias/run={ctx.run_key}/"))
    for number, page in enumerate(listing.pages, start=1):
        bronze.put_json_gz(medias_page_key(ctx, number), page)
        stale_pages.discard(medias_page_key(ctx, number))
    bronze.delete_keys(sorted(stale_pages))
    bronze.put_json(ctx.media_batches_key, batches)
    bronze.put_json(ctx.manifest_key, manifest)
    state.upsert_medias(listing.seen.items(), run_id=run_id)
    if listing.full_sweep and not media_ids:
        state.remove_medias(sorted(set(catalog) - set(listing.seen)))
    state.record_run(
        run_id,
        {
            "status": "running",
            "mode": ctx.mode,
            "run_key": ctx.run_key,
            "run_date": ctx.run_date.isoformat(),
            "window_start": window.start.isoformat(),
            "window_end": window.end.isoformat(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "medias": len(selected),
            "full_sweep": listing.full_sweep,
        },
        ttl_days=settings.run_record_ttl_days,
    )
    return result


def _window(request: RunRequest, run_date: dt.date, watermarks: dict[str, str], settings: Settings) -> Window:
    if request.mode == "backfill":
        return backfill_window(request, run_date)
    merged = [dt.date.fromisoformat(watermarks[s]) for s in ("events", "by_date") if s in watermarks]
    return nightly_window(
        run_date,
        min(merged, default=None),
        lookback_days=settings.lookback_days,
        initial_window_days=settings.initial_window_days,
    )


def _sweep_due(
    request: RunRequest, run_date: dt.date, watermarks: dict[str, str], settings: Settings
) -> bool:
    if request.full_refresh:
        return True
    if request.mode == "backfill":
        return False
    if "media_sweep" not in watermarks:
        return True
    last = dt.date.fromisoformat(watermarks["media_sweep"])
    return (run_date - last).days >= settings.media_full_sweep_days


def _visitor_plan(
    request: RunRequest, run_date: dt.date, watermarks: dict[str, str], settings: Settings
) -> VisitorPlan:
    if request.mode == "backfill":
        return "skip"  # there is no visitor history to backfill: the API only has the current snapshot
    if settings.visitor_cadence == "every_run" or request.full_refresh or "visitors" not in watermarks:
        return "snapshot"
    last = dt.date.fromisoformat(watermarks["visitors"])
    return "snapshot" if (run_date - last).days >= VISITOR_SNAPSHOT_EVERY_DAYS else "by_key"


def _list_medias(client: WistiaClient, *, full_sweep: bool, watermark: str | None) -> MediaListing:
    """Every page on a sweep; otherwise newest-updated first, down to (and including) the watermark."""
    listing = MediaListing(full_sweep=full_sweep or watermark is None)
    params: dict[str, Any] = {} if listing.full_sweep else {"sort_by": "updated", "sort_direction": 0}
    for page in client.iter_pages("/medias", params):
        listing.pages.append(page)
        reached_watermark = False
        for media in page:
            updated = _utc_iso(media.get("updated") or media.get("created"))
            if not listing.full_sweep and watermark is not None and updated < watermark:
                reached_watermark = True
                break
            listing.seen[str(media["hashed_id"])] = updated
        if reached_watermark:
            break
    return listing


def _utc_iso(value: Any) -> str:
    """One spelling for every timestamp form the API uses, so ISO strings compare in time order."""
    stamp = dt.datetime.fromisoformat(str(value))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).isoformat()


def _check_stats_permission(
    client: WistiaClient, ctx: RunContext, selected: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """One Stats API request before anything is written, so a token without the "Read detailed stats"
    permission (a 401 on /stats only; /medias still works) fails the run here, not in every unit.

    On a night that reads totals the probe is the first media's totals, handed to its batch (the unit
    does not ask again, so the night costs no extra request); otherwise the account's totals.
    """
    if ctx.stats_snapshot and selected:
        media_id = min(selected)
        try:
            return {media_id: client.get_object(f"/stats/medias/{quote(media_id, safe='')}")}
        except AuthenticationError:
            raise
        except WistiaError:
            pass  # deleted since the listing, or failing: its unit records it, and the account answers
    try:
        client.get_object("/stats/account")
    except AuthenticationError:
        raise
    except WistiaError as exc:  # not a permission problem: the units meet it (or not) themselves
        logger.warning("the Stats API probe failed: %s", type(exc).__name__)
    return {}


def _batches(
    selected: dict[str, dict[str, Any]],
    size: int,
    *,
    engagement_bases: bool,
    probed: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Map items of up to `size` medias, each with its retry day, (unless a full refresh asks for
    everything again) the totals its last engagement object answers to, and the totals Plan read."""
    ids = sorted(selected)

    def item(media_id: str) -> dict[str, Any]:
        info = selected[media_id]
        entry = {"id": media_id, "since": info.get("retry_since")}
        if engagement_bases and info.get("engagement_basis"):
            entry["engagement_basis"] = info["engagement_basis"]
        if probed and media_id in probed:
            entry["stats"] = probed[media_id]
        return entry

    return [
        {"index": number, "medias": [item(media_id) for media_id in chunk]}
        for number, chunk in enumerate((ids[i : i + size] for i in range(0, len(ids), size)), start=1)
    ]
