"""Personal data is replaced before anything is written: HMAC-SHA256 with a secret key, or dropped.

A keyed hash keeps joins possible (the same email always maps to the same value, so "identified
visitors" can still be counted) without making the value reversible: a plain SHA-256 of an IPv4 address
is reversed by enumerating 2^32 candidates in minutes, an HMAC is not without the key.
Which fields are personal: IP and email of events, names and emails in conversion data, the visitor
identity (name, email, organisation name and title), and email-looking query values in embed URLs.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PiiMode = Literal["hash", "drop"]
HASH_PREFIX = "hmac256:"
_EMAILISH = re.compile(r"[^@\s]+@[^@\s]+")
_EVENT_FIELDS = ("ip", "email")
_CONVERSION_FIELDS = ("email", "first_name", "last_name", "name", "phone")
_IDENTITY_FIELDS = ("name", "email")
_ORG_FIELDS = ("name", "title")
_URL_FIELDS = ("embed_url",)


class PiiProtector:
    def __init__(self, mode: PiiMode, key: bytes | None) -> None:
        if mode == "hash" and not key:
            raise ValueError("PII mode 'hash' needs a non-empty HMAC key")
        self.mode = mode
        self._key = key or b""

    def protect(self, value: Any) -> Any:
        """One personal value: None and "" stay as they are (absence is not personal)."""
        if value is None or value == "":
            return value
        if self.mode == "drop":
            return None
        digest = hmac.new(self._key, str(value).strip().lower().encode(), hashlib.sha256).hexdigest()
        return HASH_PREFIX + digest

    def event(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A copy of an /stats/events item with its personal fields protected."""
        event = copy.deepcopy(payload)
        self._protect_fields(event, _EVENT_FIELDS)
        if isinstance(event.get("conversion_data"), dict):
            self._protect_fields(event["conversion_data"], _CONVERSION_FIELDS)
        for field in _URL_FIELDS:
            if isinstance(event.get(field), str):
                event[field] = self._url(event[field])
        return event

    def visitor(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A copy of an /stats/visitors item with its identity protected."""
        visitor = copy.deepcopy(payload)
        identity = visitor.get("visitor_identity")
        if isinstance(identity, dict):
            self._protect_fields(identity, _IDENTITY_FIELDS)
            if isinstance(identity.get("org"), dict):
                self._protect_fields(identity["org"], _ORG_FIELDS)
        return visitor

    def _protect_fields(self, container: dict[str, Any], fields: tuple[str, ...]) -> None:
        for field in fields:
            if field in container:
                container[field] = self.protect(container[field])

    def _url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.query or "@" not in url:
            return url
        query = [
            (name, self.protect(value) or "" if _EMAILISH.search(value) else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
