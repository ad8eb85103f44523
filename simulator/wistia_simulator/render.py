"""Entities to API JSON payloads, in the shapes (and with the quirks) of real Wistia responses.

The HTTP handlers and the ground-truth export both call these functions, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from typing import Any

from wistia_simulator import catalog, ids
from wistia_simulator.model import FLAG_IDENTIFYING, FLAG_INT_CONVERSION_TYPE, Media, Project
from wistia_simulator.quirks import NO_QUIRKS, Quirks, phone_number, with_pii
from wistia_simulator.visibility import Snapshot
from wistia_simulator.world import World

Json = dict[str, Any]


def ts_offset(ts: int) -> str:
    """Medias and projects: `2022-05-02T22:22:36+00:00`."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def ts_z(ts: int) -> str:
    """Old-era events and visitors: `2014-01-27T22:42:53Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def ts_millis_z(ts: int) -> str:
    """New-era events and visitors: `2025-10-17T17:24:53.000Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# -- projects and medias ------------------------------------------------------------------------


def project_media_count(world: World, project: Project, at: int) -> int:
    return sum(1 for m in world.medias if m.project == project.index and m.exists_at(at))


def render_project(world: World, project: Project, at: int) -> Json:
    return {
        "id": project.id,
        "name": project.name,
        "mediaCount": project_media_count(world, project, at),
        "created": ts_offset(project.created_ts),
        "updated": ts_offset(project.updated_ts(at)),
        "hashedId": project.hashed_id,
        "anonymousCanUpload": False,
        "anonymousCanDownload": False,
        "public": project.public,
        "publicId": project.hashed_id if project.public else None,
        "description": project.description,
    }


def _delivery(media: Media, what: str) -> str:
    return ids.hex_token(media.hashed_id, what)


def _dimensions(hashed_id: str, channel: str) -> tuple[int, int]:
    choice = ids.digest_int(hashed_id, "dims", bits=8) % 4
    if channel == catalog.FACEBOOK and choice == 0:
        return 1080, 1920
    return ((1920, 1080), (1280, 720), (1920, 1080), (960, 540))[choice]


def thumbnail(media: Media) -> Json:
    return {
        "url": f"https://embed-ssl.wistia.com/deliveries/{_delivery(media, 'still')}.jpg"
        "?image_crop_resized=200x120",
        "width": 200,
        "height": 120,
    }


def still_asset(media: Media) -> Json:
    return dict(_still_asset(media.hashed_id, media.channel))


@functools.lru_cache(maxsize=8192)
def _still_asset(hashed_id: str, channel: str) -> Json:
    width, height = _dimensions(hashed_id, channel)
    return {
        "url": f"https://embed-ssl.wistia.com/deliveries/{ids.hex_token(hashed_id, 'still')}.bin",
        "width": width,
        "height": height,
        "fileSize": 30_000 + ids.digest_int(hashed_id, "still", bits=32) % 470_000,
        "contentType": "image/png" if ids.digest_int(hashed_id, "png", bits=8) % 3 == 0 else "image/jpeg",
        "type": "StillImageFile",
    }


def assets(media: Media) -> list[Json]:
    width, height = _dimensions(media.hashed_id, media.channel)
    seconds = media.duration or 0.0

    def asset(kind: str, w: int | None, h: int | None, rate: float, content: str) -> Json:
        jitter = 0.9 + (ids.digest_int(media.hashed_id, kind, bits=16) % 2000) / 10000
        item: Json = {"url": f"https://embed-ssl.wistia.com/deliveries/{_delivery(media, kind)}.bin"}
        if w is not None and h is not None:
            item["width"] = w
            item["height"] = h
        item["fileSize"] = max(1024, int(seconds * rate * jitter) or int(rate * jitter))
        item["contentType"] = content
        item["type"] = kind
        return item

    vertical = height > width
    small = (360, 640) if vertical else (640, 360)
    if media.type == "Audio":
        return [
            asset("OriginalFile", None, None, 40_000, "audio/mpeg"),
            asset("Mp3AudioFile", None, None, 24_000, "audio/mpeg"),
        ]
    if media.type == "Image":
        return [asset("OriginalFile", width, height, 900_000, "image/png"), still_asset(media)]
    original = "video/quicktime" if ids.digest_int(media.hashed_id, "mov", bits=8) % 4 == 0 else "video/mp4"
    items = [
        asset("OriginalFile", width, height, 1_100_000, original),
        asset("IphoneVideoFile", *small, 160_000, "video/mp4"),
        asset("Mp4VideoFile", *((224, 400) if vertical else (400, 224)), 100_000, "video/mp4"),
        asset("MdMp4VideoFile", *((540, 960) if vertical else (960, 540)), 260_000, "video/mp4"),
        asset("HdMp4VideoFile", *((720, 1280) if vertical else (1280, 720)), 480_000, "video/mp4"),
    ]
    if seconds >= 60:
        items.append(asset("StoryboardFile", 2000, 2260, 3_000, "image/jpeg"))
    items.append(still_asset(media))
    return items


def render_media(world: World, media: Media, at: int) -> Json:
    project = world.projects[media.project]
    processing = at < media.ready_ts
    body: Json = {
        "id": media.id,
        "name": media.name_at(at),
        "type": media.type,
        "archived": media.archived_ts is not None and media.archived_ts <= at,
        "created": ts_offset(media.created_ts),
        "updated": ts_offset(media.updated_at(at)),
    }
    if media.duration is not None:
        body["duration"] = media.duration
    body["hashed_id"] = media.hashed_id
    body["description"] = media.description
    if processing:
        span = max(1, media.ready_ts - media.created_ts)
        body["progress"] = round(min(0.99, (at - media.created_ts) / span), 2)
        body["status"] = "processing"
    else:
        body["progress"] = 1.0
        body["status"] = "ready"
    if media.section is not None:
        body["section"] = media.section
    body["thumbnail"] = thumbnail(media)
    body["project"] = {"id": project.id, "name": project.name, "hashed_id": project.hashed_id}
    body["assets"] = assets(media) if not processing else assets(media)[:1]
    body["tags"] = [{"name": tag} for tag in media.tags]
    return body


# -- events and visitors ------------------------------------------------------------------------


def _ip(world: World, v: int) -> str:
    return _ip_address(world.tag, v, world.data.visitors.created_ts[v] >= world.era_ts)


@functools.lru_cache(maxsize=262_144)
def _ip_address(tag: str, v: int, modern: bool) -> str:
    n = ids.digest_int(tag, "ip", v, bits=64)
    if modern and n % 10 == 0:
        groups = [(n >> (16 * i)) & 0xFFFF for i in range(1, 4)]
        return "2a02:" + ":".join(f"{g:x}" for g in groups) + "::" + f"{n & 0xFFF:x}"
    first = 11 + (n >> 24) % 212
    first = first + 1 if first in (100, 127, 169, 172, 192) else first
    return f"{first}.{(n >> 16) & 0xFF}.{(n >> 8) & 0xFF}.{1 + (n & 0xFF) % 254}"


def identity(world: World, v: int) -> tuple[str, str, str, str | None, str | None]:
    """(first name, last name, email, org name, org title) a lead reveals through the email gate."""
    n = ids.digest_int(world.tag, "identity", v, bits=64)
    first = catalog.FIRST_NAMES[n % len(catalog.FIRST_NAMES)]
    last = catalog.LAST_NAMES[(n >> 8) % len(catalog.LAST_NAMES)]
    domain = catalog.EMAIL_DOMAINS[(n >> 16) % len(catalog.EMAIL_DOMAINS)]
    email = f"{first.lower()}.{last.lower()}{(n >> 24) % 100}@{domain}"
    if (n >> 32) % 2:
        org = catalog.ORGS[(n >> 40) % len(catalog.ORGS)]
        title = catalog.TITLES[(n >> 48) % len(catalog.TITLES)]
        return first, last, email, org, title
    return first, last, email, None, None


def user_agent(world: World, v: int) -> Json:
    browser, version, platform, mobile, _ = catalog.USER_AGENTS[world.data.visitors.user_agent[v]]
    return {"browser": browser, "browser_version": version, "platform": platform, "mobile": mobile}


def _embed_url(world: World, media: Media, index: int, pii: str | None) -> str:
    url = _plain_embed_url(world, media, index)
    if pii is None:
        return url
    v = world.data.plays.visitor[index]
    first, last, email, _, _ = identity(world, v)
    return with_pii(url, pii, first=first, last=last, email=email, phone=phone_number(world.tag, v))


def _plain_embed_url(world: World, media: Media, index: int) -> str:
    slug = media.campaign.lower().replace(" ", "-").replace("&", "and")
    if media.channel == catalog.FACEBOOK:
        url = f"https://{catalog.SITE}/{slug}?utm_source=facebook&utm_medium=paid_social&utm_campaign={slug}"
        click = ids.digest(world.tag, "fbclid", index, size=13)
        if click[0] % 2:  # half the visits come through an ad click that tags the URL
            url += "&fbclid=IwAR" + click[1:].hex()
        return url
    if media.channel == catalog.YOUTUBE:
        return f"https://{catalog.SITE}/{slug}?utm_source=youtube&utm_medium=video&utm_campaign={slug}"
    return f"https://{catalog.SITE}/resources/{slug}"


def render_event(world: World, index: int, quirks: Quirks = NO_QUIRKS, *, truth: bool = False) -> Json:
    """An event depends only on the world (and the quirks), not on the clock (names are as of
    received_at). With `truth`, as the ground truth shows it: a bad record (quirk `bad_record`) keeps
    its received_at and is flagged `quirk_bad_record`."""
    body = _event(world, index, quirks)
    if quirks.bad_record(world.tag, index):
        if truth:
            body["quirk_bad_record"] = True
        else:
            del body["received_at"]
    return body


def _event(world: World, index: int, quirks: Quirks) -> Json:
    plays = world.data.plays
    ts = plays.ts[index]
    v = plays.visitor[index]
    media = world.medias[plays.media[index]]
    key = world.event_key(index)
    modern = ts >= world.era_ts
    geo = catalog.GEO[world.data.visitors.geo[v]]
    flags = plays.flags[index]
    ident_index = world.data.visitors.identifying_event[v]
    identified = 0 <= ident_index <= index
    conversion_data: Any
    if not modern:
        conversion_data = ""
    elif flags & FLAG_IDENTIFYING:
        first, last, email, _, _ = identity(world, v)
        conversion_data = {"email": email, "first_name": first, "last_name": last}
    else:
        conversion_data = {}
    body: Json = {
        "received_at": ts_millis_z(ts) if modern else ts_z(ts),
        "event_key": key,
        "ip": _ip(world, v),
        "country": geo[0],
        "region": geo[1],
        "city": geo[2],
        "lat": geo[3],
        "lon": geo[4],
        "org": geo[5],
        "email": identity(world, v)[2] if identified else None,
        "percent_viewed": plays.percent[index],
        "embed_url": _embed_url(world, media, index, quirks.pii_form(world.tag, index)),
        "conversion_type": 0 if flags & FLAG_INT_CONVERSION_TYPE else "",
        "conversion_data": conversion_data,
        "iframe_heatmap_url": f"https://api.wistia.com/v1/stats/events/{key}/iframe.html"
        f"?public_token={world.public_token}",
        "visitor_key": world.data.visitors.keys[v],
    }
    if modern:
        body["user_agent_details"] = user_agent(world, v)
    body["media_id"] = media.hashed_id
    body["media_name"] = media.name_at(ts)
    body["media_url"] = f"https://{catalog.ACCOUNT_SUBDOMAIN}.wistia.com/medias/{media.hashed_id}"
    body["thumbnail"] = still_asset(media)
    return body


def render_visitor(snap: Snapshot, v: int) -> Json:
    world = snap.world
    visitors = world.data.visitors
    totals = snap.visitor_totals(v)
    created = visitors.created_ts[v]
    fmt = ts_millis_z if created >= world.era_ts else ts_z
    last_ts = world.data.plays.ts[totals.last_play] if totals.last_play >= 0 else created
    ident = snap.identified(v)
    if ident >= 0:
        first, last, email, org, title = identity(world, v)
        who: Json = {"name": f"{first} {last}", "email": email, "org": {"name": org, "title": title}}
    else:
        who = {"name": "", "email": None, "org": {"name": None, "title": None}}
    return {
        "visitor_key": visitors.keys[v],
        "created_at": fmt(created),
        "last_active_at": fmt(last_ts),
        "last_event_key": world.event_key(totals.last_play) if totals.last_play >= 0 else "",
        "load_count": totals.load_count,
        "play_count": totals.play_count,
        "identifying_event_key": world.event_key(ident) if ident >= 0 else None,
        "visitor_identity": who,
        "user_agent_details": user_agent(world, v),
    }


# -- stats --------------------------------------------------------------------------------------


def render_media_stats(snap: Snapshot, m: int) -> Json:
    t = snap.media_totals(m)
    return {
        "load_count": t.load_count,
        "play_count": t.play_count,
        "play_rate": t.players / t.visitors if t.visitors else 0.0,
        "hours_watched": round(t.seconds_watched / 3600.0, 9),
        "engagement": round(t.percent_sum / t.play_count, 6) if t.play_count else 0.0,
        "visitors": t.visitors,
    }


def render_engagement(snap: Snapshot, m: int) -> Json:
    curve = snap.engagement(m)
    t = snap.media_totals(m)
    return {
        "engagement": round(t.percent_sum / t.play_count, 6) if t.play_count else 0.0,
        "engagement_data": curve.engagement_data,
        "rewatch_data": curve.rewatch_data,
    }


def render_by_date_row(day: dt.date, loads: int, plays: int, seconds: float) -> Json:
    hours: float | int = round(seconds / 3600.0, 4) if plays else 0
    return {"date": day.isoformat(), "load_count": loads, "play_count": plays, "hours_watched": hours}


def render_account_stats(snap: Snapshot) -> Json:
    loads = plays = 0
    seconds = 0.0
    for media in snap.world.medias:
        if not media.exists_at(snap.at):
            continue
        t = snap.media_totals(media.index)
        loads += t.load_count
        plays += t.play_count
        seconds += t.seconds_watched
    return {"load_count": loads, "play_count": plays, "hours_watched": round(seconds / 3600.0, 6)}
