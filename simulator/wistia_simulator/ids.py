"""Deterministic identifiers in Wistia's real shapes.

Everything derives from a keyed BLAKE2b digest of string parts, so identifiers are stable across
processes and Python versions (never `hash()`), and cheap enough to derive on demand instead of storing.
"""

from __future__ import annotations

import hashlib
import uuid

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def digest(*parts: object, size: int = 16) -> bytes:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=size).digest()


def digest_int(*parts: object, bits: int = 64) -> int:
    return int.from_bytes(digest(*parts, size=(bits + 7) // 8), "big") >> ((-bits) % 8)


def unit_float(*parts: object) -> float:
    """A float in [0, 1) with 53 random bits, like `random.random()`."""
    return (digest_int(*parts, bits=64) >> 11) * (1.0 / 9007199254740992.0)


def hashed_id(*parts: object) -> str:
    """Wistia-style 10-character lowercase base36 id (e.g. "gnnr5thk9v")."""
    n = digest_int("hashed_id", *parts, bits=64)
    chars = []
    for _ in range(10):
        n, r = divmod(n, 36)
        chars.append(_BASE36[r])
    return "".join(chars)


def hex_token(*parts: object, length: int = 32) -> str:
    return digest("hex", *parts, size=(length + 1) // 2).hex()[:length]


def legacy_visitor_key(*parts: object) -> str:
    """Old-era visitor key: 40 uppercase hex digits (e.g. "E4E7613B5C24CB0F1F7C0A1E4E874635E752263E")."""
    return digest("visitor", *parts, size=20).hex().upper()


def modern_key(created_ts: int, *parts: object) -> str:
    """New-era key: `<epoch seconds // 1000>_<uuid4>` (e.g. "1760721_0a81a338-...")."""
    raw = uuid.UUID(bytes=digest("uuid", *parts, size=16), version=4)
    return f"{created_ts // 1000}_{raw}"


def legacy_event_key(received_ts: int, *parts: object) -> str:
    """Old-era event key: `<epoch ms>e0.<random float>` (e.g. "1390862572596e0.8447021404281259")."""
    raw = digest("event", *parts, size=10)
    # The key's clock reading is a little before received_at, as in the published example; so
    # `ms // 1000 + 1 == received_ts` always holds, which lets a lookup find the event by time.
    ms = received_ts * 1000 - 1 - int.from_bytes(raw[:2], "big") % 999
    # repr() of a random float in (0.1, 1) gives the 15-17 significant digits seen in real keys.
    fraction = 0.1 + 0.9 * ((int.from_bytes(raw[2:], "big") >> 11) * (1.0 / 9007199254740992.0))
    return f"{ms}e0.{repr(fraction)[2:]}"
