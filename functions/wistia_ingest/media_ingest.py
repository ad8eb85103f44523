"""Per-media ingestion for one Map item: stats, engagement and daily rows of a batch of medias -> bronze.

Each media is fetched completely (all its endpoints) before any of its objects is written, so a media
that fails half-way leaves nothing behind and the part lists only complete medias. One media's failure
never blocks the others: it is recorded in the part (and the result) for Commit to remember, and the
next run retries it. Two answers are not per-media failures: a 404 means the media was deleted while
the run was going ("gone"), and a 401/403 means the token is bad, which would fail every media the same
way, so it fails the whole batch at once with the client's explanation.

The engagement curve is computed from plays alone, so a media whose totals (`play_count`,
`hours_watched`, `engagement`) are those its last merged engagement object answered to has the same
curve: that object is read back from bronze instead of asking the API again (the `engagement_basis`
the Plan passes from the media catalog). If it has expired, or the API was last asked
ENGAGEMENT_REFRESH_DAYS ago (a curve that lagged its totals on Wistia's side is not kept for ever), the API
is asked.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wistia_ingest.bronze import (
    BronzeStore,
    Part,
    WrittenObject,
    media_by_date_key,
    media_engagement_key,
    media_stats_key,
)
from wistia_ingest.client import WistiaClient
from wistia_ingest.errors import AuthenticationError, NotFoundError, WistiaError
from wistia_ingest.run_context import MEDIA_ID_PATTERN, RunContext

STREAM = "media"
logger = logging.getLogger("wistia_ingest.media_ingest")
MAX_BATCH_SIZE = 100
# Wistia hashed ids are short lowercase alphanumerics; numeric ids are accepted by the API too.
_MESSAGE_LIMIT = 500
# Retry timings vary between runs; parts must not (a re-run writes byte-identical parts).
_TIMINGS = ((re.compile(r" over [0-9.]+ s"), ""), (re.compile(r"the [0-9.]+ s left of"), "the time left of"))


BASIS_FIELDS = ("play_count", "hours_watched", "engagement")
"""The media totals an engagement curve follows: any play, or any more of one watched, moves one."""
ENGAGEMENT_REFRESH_DAYS = 7


class EngagementBasis(BaseModel):
    """The totals a media had when the engagement object of `snapshot_date` was written, and the day the
    API was last asked for that curve (`asked_on`; objects read back keep it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    snapshot_date: dt.date
    asked_on: dt.date
    play_count: int
    hours_watched: float
    engagement: float

    def reusable(self, ctx: RunContext, stats: dict[str, Any]) -> bool:
        """Tonight's totals are those the object answered, and the API was asked recently enough."""
        return (
            self.snapshot_date < ctx.run_date
            and (ctx.run_date - self.asked_on).days < ENGAGEMENT_REFRESH_DAYS
            and all(_number(stats.get(name)) == getattr(self, name) for name in BASIS_FIELDS)
        )


class MediaItem(BaseModel):
    """One media of a batch; `since` widens its by_date window (a media that failed in an earlier run);
    `engagement_basis` lets an unchanged media skip its engagement call; `stats` are totals Plan read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=MEDIA_ID_PATTERN)
    since: dt.date | None = None
    engagement_basis: EngagementBasis | None = None
    stats: dict[str, Any] | None = None
    """Tonight's totals when Plan already read them (its permission probe): not asked again."""


class MediaBatch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=0, le=99_999)
    medias: tuple[MediaItem, ...] = Field(max_length=MAX_BATCH_SIZE)

    @model_validator(mode="after")
    def _unique(self) -> MediaBatch:
        ids = [item.id for item in self.medias]
        repeated = sorted({media_id for media_id in ids if ids.count(media_id) > 1})
        if repeated:
            raise ValueError(f"media ids repeat within the batch: {', '.join(repeated)}")
        return self

    @property
    def unit(self) -> str:
        return media_batch_unit(self.index)


@dataclass(frozen=True)
class _Fetched:
    stats: dict[str, Any] | None
    engagement: dict[str, Any] | None
    by_date: list[dict[str, Any]]
    engagement_carried_from: str | None = None
    engagement_asked_on: dt.date | None = None


def media_batch_unit(index: int) -> str:
    return f"media-batch-{index:05d}"


def by_date_start(ctx: RunContext, since: dt.date | None) -> dt.date:
    """The window start, or an earlier `since` so a media that failed before catches up."""
    return since if since is not None and since < ctx.window.start else ctx.window.start


def ingest_media_batch(
    *, client: WistiaClient, bronze: BronzeStore, ctx: RunContext, batch: MediaBatch, log: Any = None
) -> dict[str, Any]:
    """Fetch and write every media of the batch, then the batch's part; return counts and media ids only.

    Result: `{unit, medias (written), objects, records, failed: [ids], gone: [ids], engagement_reused,
    requests}`.
    Raises AuthenticationError (the token is bad: nothing else can succeed) and storage errors.
    `log` is the handler's structured logger (a stdlib logger by default); only ids and error classes
    are logged.
    """
    log = log if log is not None else logger
    part = Part(unit=batch.unit, stream=STREAM)
    written = 0
    for item in batch.medias:
        try:
            fetched = _fetch(client, bronze, ctx, item)
        except AuthenticationError:
            raise
        except NotFoundError:
            log.info("media deleted during the run: recorded as gone", extra={"media_id": item.id})
            part.gone.append(item.id)
            continue
        except WistiaError as exc:
            log.warning(
                "media failed: recorded in the part, the next run retries it",
                extra={"media_id": item.id, "error": type(exc).__name__, "status_code": exc.status_code},
            )
            part.failed.append({"media_id": item.id, "error": type(exc).__name__, "message": _stable(exc)})
            continue
        part.objects.extend(_write(bronze, ctx, item.id, fetched))
        written += 1
    bronze.write_part(ctx, part)
    return {
        "unit": part.unit,
        "medias": written,
        "objects": len(part.objects),
        "records": sum(obj.records for obj in part.objects),
        "failed": [failure["media_id"] for failure in part.failed],
        "gone": list(part.gone),
        "engagement_reused": sum(1 for obj in part.objects if obj.carried_from),
        "requests": client.stats.requests_sent,
    }


def _fetch(client: WistiaClient, bronze: BronzeStore, ctx: RunContext, item: MediaItem) -> _Fetched:
    base = f"/stats/medias/{quote(item.id, safe='')}"
    stats = engagement = carried_from = None
    asked_on: dt.date | None = None
    if ctx.stats_snapshot:
        stats = dict(item.stats) if item.stats is not None else client.get_object(base)
        basis = item.engagement_basis
        if basis is not None and basis.reusable(ctx, stats):
            carried_from, asked_on = media_engagement_key(ctx, item.id, basis.snapshot_date), basis.asked_on
            engagement = bronze.find_json(carried_from)
        if not isinstance(engagement, dict):  # no basis, totals moved, asked long ago, or expired
            carried_from, asked_on = None, ctx.run_date
            engagement = client.get_object(f"{base}/engagement")
    window = {"start_date": by_date_start(ctx, item.since), "end_date": ctx.window.end}
    by_date = client.get_array(f"{base}/by_date", window)
    return _Fetched(
        stats=stats,
        engagement=engagement,
        by_date=by_date,
        engagement_carried_from=carried_from,
        engagement_asked_on=asked_on,
    )


def _write(bronze: BronzeStore, ctx: RunContext, media_id: str, fetched: _Fetched) -> list[WrittenObject]:
    objects: list[WrittenObject] = []
    if fetched.stats is not None:
        key = media_stats_key(ctx, media_id)
        bronze.put_json_gz(key, fetched.stats)
        objects.append(WrittenObject(key=key, entity="media_stats", records=1, media_id=media_id))
    if fetched.engagement is not None:
        key = media_engagement_key(ctx, media_id)
        bronze.put_json_gz(key, fetched.engagement)
        objects.append(
            WrittenObject(
                key=key,
                entity="media_engagement",
                records=1,
                media_id=media_id,
                basis=_basis(fetched.stats, fetched.engagement_asked_on),
                carried_from=fetched.engagement_carried_from,
            )
        )
    key = media_by_date_key(ctx, media_id)
    bronze.put_json_gz(key, fetched.by_date)
    objects.append(
        WrittenObject(key=key, entity="media_by_date", records=len(fetched.by_date), media_id=media_id)
    )
    return objects


def _basis(stats: dict[str, Any] | None, asked_on: dt.date | None) -> dict[str, Any] | None:
    """The totals an engagement object answers to and when the API gave it, or None if the stats lack
    one of them."""
    values = {name: _number((stats or {}).get(name)) for name in BASIS_FIELDS}
    if asked_on is None or any(value is None for value in values.values()):
        return None
    return {**values, "asked_on": asked_on.isoformat()}


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _stable(exc: WistiaError) -> str:
    """The error's message without retry timings, bounded in length (it goes into the part)."""
    message = exc.message
    for pattern, replacement in _TIMINGS:
        message = pattern.sub(replacement, message)
    return message if len(message) <= _MESSAGE_LIMIT else message[: _MESSAGE_LIMIT - 3] + "..."
