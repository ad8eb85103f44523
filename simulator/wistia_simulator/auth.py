"""Token check: `Authorization: Bearer <token>` or HTTP Basic with user `api` and the token as password."""

from __future__ import annotations

import base64
import binascii
import hmac


class AuthFailure(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


SCOPE_MESSAGE = "This token does not have the required scope (Read detailed stats)."


def check(authorization: str | None, token: str | None, *, basic_allowed: bool = True) -> None:
    """Raise AuthFailure unless the header carries the current token (None = revoked: nothing passes).

    Without `basic_allowed` (quirk `basic_refused`), HTTP Basic is refused like a wrong token, whatever
    it carries. Messages never echo what was sent."""
    if not authorization or not authorization.strip():
        raise AuthFailure("missing_token", "Authentication required: send 'Authorization: Bearer <token>'.")
    scheme, _, credentials = authorization.strip().partition(" ")
    presented: str | None = None
    if scheme.lower() == "bearer":
        presented = credentials.strip()
    elif scheme.lower() == "basic":
        if not basic_allowed:
            raise AuthFailure("invalid_token", "Invalid credentials.")
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthFailure("invalid_token", "Invalid credentials.") from None
        user, _, password = decoded.partition(":")
        if user != "api":
            raise AuthFailure("invalid_token", "Invalid credentials.")
        presented = password
    else:
        raise AuthFailure("invalid_token", "Unsupported authorization scheme; use Bearer.")
    if token is None or not presented or not hmac.compare_digest(presented.encode(), token.encode()):
        raise AuthFailure("invalid_token", "Invalid credentials.")


def check_scope(path: str, stats_scope: bool) -> None:
    """Without the "Read detailed stats" permission (quirk `scope_missing`), every /stats route is 401."""
    if not stats_scope and (path == "/stats" or path.startswith("/stats/")):
        raise AuthFailure("unauthorized_scope", SCOPE_MESSAGE)
