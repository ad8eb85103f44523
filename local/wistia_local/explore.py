"""Exploration probes: the manual look at the API a team takes before designing the pipeline.

Each probe fetches a small, explicit slice of one endpoint through the production client (so retries,
auth and pagination are the real ones), and returns the raw payloads plus a summary of what they show:
counts, time range, channel mix, key formats, fields seen. Writing samples and printing belong to the
command module; these functions only ask and describe.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wistia_ingest.client import WistiaClient
from wistia_local.redaction import redact
from wistia_spark.channels import channel_for

Payload = dict[str, Any]
_PREFIXED_KEY = re.compile(r"^\d+_[0-9a-f-]+$")
_LEGACY_HEX_KEY = re.compile(r"^[0-9A-F]{40}$")


@dataclass
class ProbeResult:
    kind: str
    params: dict[str, Any]
    items: list[Payload]
    summary: dict[str, Any] = field(default_factory=dict)


def probe_medias(client: WistiaClient, *, page: int, per_page: int) -> ProbeResult:
    params = {"page": page, "per_page": per_page}
    items = client.get_array("/medias", params)
    summary = {
        "count": len(items),
        **_time_range(items, "created"),
        "channel_mix": dict(Counter(_media_channel(item) for item in items)),
        "types": dict(Counter(str(item.get("type")) for item in items)),
        "archived": sum(1 for item in items if item.get("archived")),
        "fields": _fields(items),
    }
    return ProbeResult("medias", params, items, summary)


def probe_media_stats(
    client: WistiaClient,
    *,
    media_ids: Sequence[str],
    per_page: int,
    max_pages: int,
    today: dt.date,
    days: int = 7,
) -> ProbeResult:
    """Stats, engagement and the last `days` of by_date for the given medias (or the first listed)."""
    ids = list(media_ids) or _first_media_ids(client, per_page=per_page, pages=max_pages)
    start = today - dt.timedelta(days=days)
    end = today - dt.timedelta(days=1)
    items: list[Payload] = []
    for media_id in ids:
        stats = client.get_media_stats(media_id)
        engagement = client.get_media_engagement(media_id)
        by_date = client.get_media_by_date(media_id, start, end)
        items.append(
            {
                "media_id": media_id,
                "stats": stats.raw,
                "engagement": engagement.raw,
                "by_date": [row.raw for row in by_date],
            }
        )
    loads = sum(int(item["stats"].get("load_count") or 0) for item in items)
    plays = sum(int(item["stats"].get("play_count") or 0) for item in items)
    top = max(items, key=lambda item: int(item["stats"].get("play_count") or 0), default=None)
    summary = {
        "count": len(items),
        "load_count": loads,
        "play_count": plays,
        "plays_per_load": round(plays / loads, 4) if loads else None,
        "hours_watched": round(sum(float(i["stats"].get("hours_watched") or 0) for i in items), 2),
        "top_media_by_plays": top["media_id"] if top else None,
        "by_date_window": [start.isoformat(), end.isoformat()],
        "by_date_rows": sum(len(item["by_date"]) for item in items),
        "engagement_cells": {
            item["media_id"]: len(item["engagement"].get("engagement_data") or []) for item in items
        },
    }
    params = {"media_ids": ids, "per_page": per_page, "max_pages": max_pages, "by_date_days": days}
    return ProbeResult("media-stats", params, items, summary)


def probe_visitors(client: WistiaClient, *, page: int, per_page: int) -> ProbeResult:
    params = {"page": page, "per_page": per_page}
    items = client.get_array("/stats/visitors", params)
    summary = {
        "count": len(items),
        **_time_range(items, "created_at"),
        "identified": sum(1 for item in items if _identified(item)),
        "mobile": sum(1 for item in items if (item.get("user_agent_details") or {}).get("mobile")),
        "key_formats": dict(Counter(_key_format(str(item.get("visitor_key", ""))) for item in items)),
        "fields": _fields(items),
    }
    return ProbeResult("visitors", params, items, summary)


def probe_events(
    client: WistiaClient,
    *,
    media_id: str | None,
    start_date: dt.date | None,
    end_date: dt.date | None,
    per_page: int,
    max_pages: int,
) -> ProbeResult:
    """Every page of the event window: shows the order, the page count and late-arrival spread."""
    params: dict[str, Any] = {
        key: value
        for key, value in {
            "media_id": media_id,
            "start_date": start_date.isoformat() if start_date else None,
            "end_date": end_date.isoformat() if end_date else None,
        }.items()
        if value is not None
    }
    pages = list(client.iter_pages("/stats/events", params, per_page=per_page, max_pages=max_pages))
    items = [event for page in pages for event in page]
    received = [_timestamp(item.get("received_at")) for item in items]
    ordered = [stamp for stamp in received if stamp is not None]
    summary = {
        "count": len(items),
        "pages": len(pages),
        **_time_range(items, "received_at"),
        "newest_first": all(a >= b for a, b in itertools.pairwise(ordered)),
        "per_day": dict(sorted(Counter(stamp.date().isoformat() for stamp in ordered).items())),
        "medias": len({item.get("media_id") for item in items}),
        "visitors": len({item.get("visitor_key") for item in items}),
        "key_formats": dict(Counter(_key_format(str(item.get("event_key", ""))) for item in items)),
        "fields": _fields(items),
    }
    return ProbeResult("events", {**params, "per_page": per_page, "max_pages": max_pages}, items, summary)


def _first_media_ids(client: WistiaClient, *, per_page: int, pages: int) -> list[str]:
    """A sample, not a full listing: at most `pages` pages, so no completeness guard applies."""
    ids: list[str] = []
    for page_number in range(1, pages + 1):
        page = client.get_array("/medias", {"page": page_number, "per_page": per_page})
        ids.extend(str(media["hashed_id"]) for media in page)
        if len(page) < per_page:
            break
    return ids


def write_sample(result: ProbeResult, out_dir: Path, *, base_url: str, now: dt.datetime) -> Path:
    """Write the redacted sample as `<out_dir>/<kind>/<UTC timestamp>.json` and return its path."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = out_dir / result.kind / f"{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "probe": result.kind,
        "fetched_at": now.astimezone(dt.UTC).isoformat(),
        "base_url": base_url,
        "params": result.params,
        "summary": result.summary,
        "items": redact(result.items),
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)  # never leave a half-written sample behind
    return path


def _timestamp(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _time_range(items: Iterable[Payload], key: str) -> dict[str, str | None]:
    stamps = sorted(stamp for item in items if (stamp := _timestamp(item.get(key))) is not None)
    return {
        f"earliest_{key}": stamps[0].isoformat() if stamps else None,
        f"latest_{key}": stamps[-1].isoformat() if stamps else None,
    }


def _media_channel(media: Payload) -> str:
    project = media.get("project") or {}
    tags = [str(tag.get("name", "")) for tag in media.get("tags") or [] if isinstance(tag, dict)]
    return channel_for(str(project.get("name") or ""), tags)


def _identified(visitor: Payload) -> bool:
    identity = visitor.get("visitor_identity") or {}
    return bool(identity.get("name") or identity.get("email"))


def _key_format(key: str) -> str:
    if _PREFIXED_KEY.match(key):
        return "prefix_uuid"
    if _LEGACY_HEX_KEY.match(key):
        return "legacy_hex40"
    return "other" if key else "missing"


def _fields(items: Iterable[Payload]) -> list[str]:
    return sorted({key for item in items for key in item})
