"""Typed, tolerant views of Wistia payloads; each keeps the untouched payload in `.raw` for bronze.

Real payloads stray from the OpenAPI spec across eras (2012-2025): camelCase and snake_case for the same
thing, "" where null is meant, redacted strings where numbers are promised, events without `event_key`,
legacy stats shapes. The models accept all of them, map older names onto the modern fields where the
meaning is unambiguous, leave unknown fields in `model_extra`, and never rewrite the raw payload.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidatorFunctionWrapHandler,
    model_validator,
)

_HEATMAP_EVENT_KEY = re.compile(r"/stats/events/([^/?#]+)/iframe\.html")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _to_utc(value: Any) -> Any:
    """Accept `Z`, `.000Z`, `+00:00` (and other offsets); always end up timezone-aware UTC."""
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = dt.datetime.fromisoformat(text)  # ValueError -> ValidationError: a timestamp we cannot read
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def _number_or_none(value: Any) -> Any:
    """Numbers stay numbers; redacted or otherwise non-numeric strings ("<redacted>") become None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _conversion_type(value: Any) -> Any:
    # int (0 = none in 2012 payloads) or a string label; "" means "no conversion" and becomes None.
    return _blank_to_none(value)


def _conversion_data(value: Any) -> Any:
    # "" in 2012-2014 payloads, {} or an object later.
    return _blank_to_none(value)


def _tag(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


UtcDatetime = Annotated[dt.datetime | None, BeforeValidator(_to_utc)]
Coordinate = Annotated[float | None, BeforeValidator(_number_or_none)]


class WistiaModel(BaseModel):
    """Base: unknown fields kept, names by alias or field name, raw payload captured on validation."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        coerce_numbers_to_str=True,  # keys published unquoted (1390862572596e0.84...) still become strings
    )

    _raw: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _capture_raw(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        raw = copy.deepcopy(data) if isinstance(data, Mapping) else None
        if isinstance(data, Mapping):
            data = cls._normalize(dict(data))
        instance = handler(data)
        if raw is not None and isinstance(instance, WistiaModel):
            instance._raw = dict(raw)
        return instance

    @classmethod
    def _normalize(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Map legacy shapes onto modern field names; works on a copy, never the caller's payload."""
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """Validate one API object; `.raw` keeps an untouched deep copy of it."""
        return cls.model_validate(payload)

    @property
    def raw(self) -> dict[str, Any]:
        """The payload exactly as received (for bronze); a dump of the model if it was built in code."""
        if self._raw is None:
            return self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return self._raw


class Thumbnail(WistiaModel):
    url: str | None = None
    width: int | None = None
    height: int | None = None


class Asset(WistiaModel):
    """A media file variant; v1 says fileSize/contentType, the modern API file_size/content_type."""

    url: str | None = None
    width: int | None = None
    height: int | None = None
    file_size: int | None = Field(default=None, validation_alias=AliasChoices("fileSize", "file_size"))
    content_type: str | None = Field(
        default=None, validation_alias=AliasChoices("contentType", "content_type")
    )
    type: str | None = None


class Tag(WistiaModel):
    name: str | None = None


class Project(WistiaModel):
    """A project: camelCase at top level (`hashedId`, `mediaCount`), snake_case when nested in a media."""

    id: int | None = None
    hashed_id: str | None = Field(default=None, validation_alias=AliasChoices("hashedId", "hashed_id"))
    name: str | None = None
    description: str | None = None
    media_count: int | None = Field(default=None, validation_alias=AliasChoices("mediaCount", "media_count"))
    created: UtcDatetime = None
    updated: UtcDatetime = None
    public: bool | None = None
    public_id: str | None = Field(default=None, validation_alias=AliasChoices("publicId", "public_id"))
    anonymous_can_upload: bool | None = Field(
        default=None, validation_alias=AliasChoices("anonymousCanUpload", "anonymous_can_upload")
    )
    anonymous_can_download: bool | None = Field(
        default=None, validation_alias=AliasChoices("anonymousCanDownload", "anonymous_can_download")
    )
    medias: list[Media] | None = None


class Media(WistiaModel):
    """A media from /medias or /medias/{hashed_id}; `hashed_id` is its key everywhere else (media_id)."""

    hashed_id: str
    id: int | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    status: str | None = None
    progress: float | None = None
    duration: float | None = None
    section: str | None = None
    archived: bool | None = None
    created: UtcDatetime = None
    updated: UtcDatetime = None
    thumbnail: Thumbnail | None = None
    project: Project | None = None
    assets: list[Asset] = Field(default_factory=list)
    tags: list[Annotated[Tag, BeforeValidator(_tag)]] = Field(default_factory=list)
    embed_code: str | None = Field(default=None, validation_alias=AliasChoices("embedCode", "embed_code"))

    @property
    def project_name(self) -> str | None:
        return self.project.name if self.project else None

    @property
    def project_hashed_id(self) -> str | None:
        return self.project.hashed_id if self.project else None

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags if tag.name]


class Action(WistiaModel):
    """A call-to-action counter; the short-lived 2015 `interaction_count` maps onto `action_count`."""

    type: str | None = None
    action_count: int | None = Field(
        default=None, validation_alias=AliasChoices("action_count", "interaction_count")
    )
    impression_count: int | None = None
    rate: float | None = None


def _percent_to_fraction(value: Any) -> Any:
    number = _number_or_none(value)
    return None if number is None else number / 100.0


def _rename_draft_counts(data: dict[str, Any]) -> dict[str, Any]:
    # 2012 pre-launch drafts said loads/plays (and data_date) before load_count/play_count (and date).
    for old, new in (("loads", "load_count"), ("plays", "play_count")):
        if new not in data and old in data:
            data[new] = data.pop(old)
    return data


class MediaStats(WistiaModel):
    """/stats/medias/{id}. Also reads the legacy /medias/{id}/stats shape (nested camelCase `stats` with
    0-100 percentages): pageLoads -> load_count, plays -> play_count, visitors -> visitors,
    percentOfVisitorsClickingPlay/100 -> play_rate, averagePercentWatched/100 -> engagement."""

    load_count: int | None = None
    play_count: int | None = None
    play_rate: float | None = None
    hours_watched: float | None = None
    engagement: float | None = None
    visitors: int | None = None
    actions: list[Action] | None = None
    # present only on the legacy Data API shape
    id: int | None = None
    hashed_id: str | None = None
    name: str | None = None

    _LEGACY: ClassVar[dict[str, str]] = {
        "pageLoads": "load_count",
        "plays": "play_count",
        "visitors": "visitors",
    }

    @classmethod
    def _normalize(cls, data: dict[str, Any]) -> dict[str, Any]:
        data = _rename_draft_counts(data)
        if "actions" not in data and "interactions" in data:
            data["actions"] = data.pop("interactions")
        legacy = data.get("stats")
        if isinstance(legacy, Mapping):
            for old, new in cls._LEGACY.items():
                if old in legacy and data.get(new) is None:
                    data[new] = legacy[old]
            if "percentOfVisitorsClickingPlay" in legacy and data.get("play_rate") is None:
                data["play_rate"] = _percent_to_fraction(legacy["percentOfVisitorsClickingPlay"])
            if "averagePercentWatched" in legacy and data.get("engagement") is None:
                data["engagement"] = _percent_to_fraction(legacy["averagePercentWatched"])
        return data

    @property
    def is_legacy_shape(self) -> bool:
        return isinstance(self.raw.get("stats"), Mapping)


class _Counts(WistiaModel):
    """Loads, plays and hours watched, shared by account totals and daily rows (2012 drafts: loads/plays)."""

    load_count: int | None = None
    play_count: int | None = None
    hours_watched: float | None = None

    @classmethod
    def _normalize(cls, data: dict[str, Any]) -> dict[str, Any]:
        return _rename_draft_counts(data)


class AccountStats(_Counts):
    """/stats/account."""


class Engagement(WistiaModel):
    """/stats/medias/{id}/engagement: the average fraction watched and the per-second curves."""

    engagement: float | None = None
    engagement_data: list[int | float] | None = None
    rewatch_data: list[int | float] | None = None


class ByDateRow(_Counts):
    """One day of /stats/medias/{id}/by_date (quiet days are explicit zero rows)."""

    date: dt.date = Field(validation_alias=AliasChoices("date", "data_date"))


class VisitorOrg(WistiaModel):
    name: str | None = None
    title: str | None = None


class VisitorIdentity(WistiaModel):
    """PII: hash or drop before bronze. "" (2015) and null both mean unknown."""

    name: str | None = None
    email: str | None = None
    org: VisitorOrg | None = None


class UserAgentDetails(WistiaModel):
    browser: str | None = None
    browser_version: str | None = None
    platform: str | None = None
    mobile: bool | None = None


class Visitor(WistiaModel):
    """/stats/visitors. Keys are 40-hex (pre-2016) or `<prefix>_<uuid>` (current)."""

    visitor_key: str
    created_at: UtcDatetime = None
    last_active_at: UtcDatetime = None
    last_event_key: str | None = None
    identifying_event_key: str | None = None
    load_count: int | None = None
    play_count: int | None = None
    visitor_identity: VisitorIdentity | None = None
    user_agent_details: UserAgentDetails | None = None

    @property
    def has_name(self) -> bool:
        return bool(self.visitor_identity and (self.visitor_identity.name or "").strip())

    @property
    def has_email(self) -> bool:
        return bool(self.visitor_identity and (self.visitor_identity.email or "").strip())

    @property
    def is_identified(self) -> bool:
        return self.has_name or self.has_email


class Event(WistiaModel):
    """/stats/events. 2012 events carry no `event_key`: it is derived from `iframe_heatmap_url`
    (`.../stats/events/<key>/iframe.html`) and `event_key_derived` says so."""

    event_key: str | None = None
    received_at: UtcDatetime = None
    visitor_key: str | None = None
    media_id: str | None = None
    media_name: str | None = None
    media_url: str | None = None
    embed_url: str | None = None
    percent_viewed: float | None = None
    ip: str | None = None
    org: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    lat: Coordinate = None
    lon: Coordinate = None
    email: str | None = None
    iframe_heatmap_url: str | None = None
    thumbnail: Asset | None = None
    conversion_type: Annotated[int | str | None, BeforeValidator(_conversion_type)] = None
    conversion_data: Annotated[dict[str, Any] | str | None, BeforeValidator(_conversion_data)] = None
    user_agent_details: UserAgentDetails | None = None

    _event_key_derived: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _derive_event_key(self) -> Self:
        if not self.event_key:
            derived = event_key_from_heatmap_url(self.iframe_heatmap_url)
            if derived is not None:
                self.event_key = derived
                self._event_key_derived = True
        return self

    @property
    def event_key_derived(self) -> bool:
        return self._event_key_derived

    @property
    def received_day(self) -> dt.date | None:
        """The UTC calendar day the event was received: the partition and the closed-window unit."""
        return self.received_at.date() if self.received_at else None

    @property
    def has_conversion(self) -> bool:
        return self.conversion_type not in (None, 0, "0") or bool(self.conversion_data)


def event_key_from_heatmap_url(url: str | None) -> str | None:
    """The event key embedded in a heatmap URL, or None (also for elided keys such as "...")."""
    if not url:
        return None
    match = _HEATMAP_EVENT_KEY.search(url)
    if match is None:
        return None
    key = match.group(1)
    return None if not key.strip(".") else key


Project.model_rebuild()
