"""The account as the API would serve it at one instant, as one JSON-able dict.

Built with the same selection (`queries`) and rendering (`render`) code as the HTTP responses, so a
pipeline run can be reconciled against it exactly, under any quirks: `quirks` describes those in force,
`event_day_offset_hours` is the UTC offset of /stats/events' day filters (quirk `tz`, else 0), events
carry embed URLs as served and a bad record (quirk `bad_record`) keeps its true `received_at` with
`"quirk_bad_record": true`. Visitors are newest-active first, without any visitor_churn promotions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from wistia_simulator import api, queries, render
from wistia_simulator.clock import from_ts
from wistia_simulator.quirks import NO_QUIRKS, Quirks
from wistia_simulator.visibility import Snapshot
from wistia_simulator.world import ts_to_date


def build(snap: Snapshot, quirks: Quirks = NO_QUIRKS) -> dict[str, Any]:
    world = snap.world
    at = snap.at
    medias = []
    for media in world.medias:
        if media.created_ts > at:
            continue
        deleted = media.deleted_ts is not None and media.deleted_ts <= at
        body = render.render_media(world, media, at)
        body["deleted"] = deleted
        body["deleted_at"] = render.ts_offset(media.deleted_ts) if deleted and media.deleted_ts else None
        medias.append(body)
    existing = [m for m in world.medias if m.exists_at(at)]
    today = ts_to_date(at)
    daily: list[dict[str, Any]] = []
    for media in existing:
        for row in api.by_date_rows(snap, media.index, dt.date.min, today):
            daily.append({"media_id": media.hashed_id, **row})
    served = queries.all_events(snap, queries.EventFilter())
    events = [render.render_event(world, i, quirks, truth=True) for i in served]
    return {
        "as_of": render.iso(from_ts(at)),
        "account": {
            "preset": world.preset.name,
            "seed": world.seed,
            "origin": world.origin.isoformat(),
        },
        "quirks": quirks.describe(),
        "event_day_offset_hours": quirks.event_day_offset_hours,
        "projects": [render.render_project(world, p, at) for p in queries.projects(world, at, None, True)],
        "medias": medias,
        "media_stats": {m.hashed_id: render.render_media_stats(snap, m.index) for m in existing},
        "engagement": {m.hashed_id: render.render_engagement(snap, m.index) for m in existing},
        "account_stats": render.render_account_stats(snap),
        "daily_stats": daily,
        "events": events,
        "visitors": [render.render_visitor(snap, v) for v in snap.listed_visitors()],
    }
