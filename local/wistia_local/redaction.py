"""Masking of personal data in exploration samples, so samples can be shared and kept in tickets.

Samples keep their shape (every key stays, so the sample still shows what the API returns) but not the
person: emails become null, names are masked, IPs keep only their first octet, coordinates are rounded,
keys keep only the prefix that tells their era, and query strings (which carry `wemail=` and the like)
are dropped from URLs. The pipeline itself hashes PII with a secret key before bronze; that is separate.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_KEY_FIELDS = frozenset(
    {"visitor_key", "event_key", "last_event_key", "identifying_event_key"},
)
_EMAIL_FIELDS = frozenset({"email"})
_NAME_FIELDS = frozenset({"name", "first_name", "last_name", "title"})
# Objects whose `name`/`title` describe a person or their employer; media and project names are not PII.
_PERSON_CONTAINERS = frozenset({"visitor_identity", "org", "conversion_data"})
_URL_FIELDS = frozenset({"embed_url", "iframe_heatmap_url"})
_COORDINATE_FIELDS = frozenset({"lat", "lon"})
_PREFIXED_KEY = re.compile(r"^(?P<prefix>[^_]+)_.+$")
_LEGACY_EVENT_KEY = re.compile(r"^(?P<prefix>\d+)[a-z]\d\..+$")
_LEGACY_KEY_VISIBLE_CHARS = 4
_EVENT_KEY_IN_PATH = re.compile(r"/stats/events/[^/]+/")


def mask_key(value: str) -> str:
    """Keep the era-telling prefix of a visitor or event key and mask the rest."""
    for pattern in (_PREFIXED_KEY, _LEGACY_EVENT_KEY):
        match = pattern.match(value)
        if match:
            return f"{match.group('prefix')}_{MASK}"
    return value[:_LEGACY_KEY_VISIBLE_CHARS] + MASK if value else value


def mask_ip(value: str) -> str:
    if "." in value:
        return value.split(".", 1)[0] + ".x.x.x"
    if ":" in value:
        return value.split(":", 1)[0] + ":x"
    return MASK


def strip_query(url: str) -> str:
    """Drop query and fragment, and the event key embedded in heatmap URLs."""
    parts = urlsplit(url)
    path = _EVENT_KEY_IN_PATH.sub(f"/stats/events/{MASK}/", parts.path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def redact(value: Any, *, field: str | None = None, parent: str | None = None) -> Any:
    """Return a copy of a JSON value with personal data masked (see the module docstring)."""
    if isinstance(value, dict):
        return {key: redact(item, field=key, parent=field) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, field=None, parent=field) for item in value]
    if value is None or value == "":
        return value
    if field in _EMAIL_FIELDS:
        return None
    if field in _KEY_FIELDS and isinstance(value, str):
        return mask_key(value)
    if field == "ip" and isinstance(value, str):
        return mask_ip(value)
    if field in _NAME_FIELDS and parent in _PERSON_CONTAINERS:
        return MASK
    if field in _URL_FIELDS and isinstance(value, str):
        return strip_query(value)
    if field in _COORDINATE_FIELDS and isinstance(value, int | float):
        return round(float(value), 1)
    return value
