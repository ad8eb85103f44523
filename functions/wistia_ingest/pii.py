"""Personal data is replaced before anything is written: HMAC-SHA256 with a secret key, or dropped.

A keyed hash keeps joins possible (the same email always maps to the same value, so "identified
visitors" can still be counted) without making the value reversible: a plain SHA-256 of an IPv4 address
is reversed by enumerating 2^32 candidates in minutes, an HMAC is not without the key.
Which fields are personal: IP and email of events, names, emails and phones in conversion data, the
visitor identity (name, email, organisation name and title), and everything in an event's `embed_url`
outside an allow-list. The URL keeps its scheme, host, port and path, and the query parameters named in
ALLOWED_QUERY_PREFIXES (the utm_* campaign parameters), verbatim. Every other query value is hashed (over
its percent-decoded value) or its parameter dropped; a query name that is not a plain token is hashed too;
userinfo and the fragment are dropped; a path segment holding an "@" is hashed or becomes "-". A string
that is not a URL is protected as a whole. Everything is judged after percent-decoding until stable, and
a protected URL comes back unchanged, so bronze can be protected again.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from typing import Any, Literal
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

PiiMode = Literal["hash", "drop"]
HASH_PREFIX = "hmac256:"
# The embed_url query parameters kept verbatim: campaign tagging that analysts need and that names no
# person. Matched case-insensitively against the percent-decoded name, which must also be a plain token;
# a value that still holds an "@" is protected anyway. Every other query parameter is personal.
ALLOWED_QUERY_PREFIXES = ("utm_",)
_HASHED = re.compile(rf"{re.escape(HASH_PREFIX)}[0-9a-f]{{64}}")
_TOKEN = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,64}")
_DECODE_ROUNDS = 4
_DROPPED_SEGMENT = "-"
# Kept path segments and query pieces are re-quoted with these safe, so valid escapes stay as they are
_PATH_SAFE = "%:@!$&'()*+,;=~"
_QUERY_PIECE_SAFE = "%/:=@!$'()*+,;?~"
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
        return self._hmac(str(value))

    def event(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A copy of an /stats/events item with its personal fields protected."""
        event = copy.deepcopy(payload)
        self._protect_fields(event, _EVENT_FIELDS)
        if isinstance(event.get("conversion_data"), dict):
            self._protect_fields(event["conversion_data"], _CONVERSION_FIELDS)
        for field in _URL_FIELDS:
            if isinstance(event.get(field), str):
                event[field] = self.url(event[field])
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

    def url(self, url: str) -> str | None:
        """A URL reduced to the allow-list of the module docstring; None only for a non-URL in drop mode."""
        if url == "" or _HASHED.fullmatch(url):
            return url
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. an unbalanced IPv6 bracket
            parts = None
        host = parts.netloc.rpartition("@")[2] if parts else ""  # userinfo (user:password@) is dropped
        if parts is None or not parts.scheme or not host or _suspicious(_decode(host)):
            return self._hmac(url) if self.mode == "hash" else None
        path = "/".join(self._segment(segment) for segment in parts.path.split("/"))
        pieces = [kept for piece in parts.query.split("&") if piece and (kept := self._param(piece))]
        return urlunsplit((parts.scheme, host, path, "&".join(pieces), ""))  # the fragment is dropped

    def _segment(self, segment: str) -> str:
        decoded = _decode(segment)
        if not _suspicious(decoded):
            return quote(segment, safe=_PATH_SAFE)
        return self._hmac(decoded) if self.mode == "hash" else _DROPPED_SEGMENT

    def _param(self, piece: str) -> str | None:
        """One `name[=value]` of a query, protected; None when it is dropped."""
        raw_name, has_value, raw_value = piece.partition("=")
        name, value = _decode(raw_name, plus=True), _decode(raw_value, plus=True)
        if _allowed(name) and not _suspicious(value):
            return quote(piece, safe=_QUERY_PIECE_SAFE)
        if self.mode == "drop":
            return None
        if not (_TOKEN.fullmatch(name) or _HASHED.fullmatch(name)):
            name = self._hmac(name)
        if value and not _HASHED.fullmatch(value):
            value = self._hmac(value)  # blank stays blank, an HMAC stays as it is
        encoded = quote_plus(name, safe=":")
        return f"{encoded}={quote_plus(value, safe=':')}" if has_value else encoded

    def _hmac(self, text: str) -> str:
        """Keyed hash of a value trimmed and lower-cased, so one email is one value wherever it appears."""
        return HASH_PREFIX + hmac.new(self._key, text.strip().lower().encode(), hashlib.sha256).hexdigest()

    def _protect_fields(self, container: dict[str, Any], fields: tuple[str, ...]) -> None:
        for field in fields:
            if field in container:
                container[field] = self.protect(container[field])


def _decode(text: str, *, plus: bool = False) -> str:
    """Percent-decoded until stable (double encoding such as %2540 too), at most a few rounds.

    In a query `+` is a space in the first round only: after it, a `+` is a literal plus (from %2B).
    """
    decoded = unquote_plus(text) if plus else unquote(text)
    for _ in range(_DECODE_ROUNDS):
        again = unquote(decoded)
        if again == decoded:
            break
        decoded = again
    return decoded


def _suspicious(decoded: str) -> bool:
    """Holds an "@" (an email, or userinfo), or an encoding not unwound within the rounds allowed."""
    return "@" in decoded or unquote(decoded) != decoded


def _allowed(name: str) -> bool:
    return bool(_TOKEN.fullmatch(name)) and name.lower().startswith(ALLOWED_QUERY_PREFIXES)
