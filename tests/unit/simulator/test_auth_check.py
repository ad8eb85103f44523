from __future__ import annotations

import base64

import pytest

from wistia_simulator.auth import AuthFailure, check


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_accepted() -> None:
    check("Bearer s3cret", "s3cret")
    check("bearer   s3cret ", "s3cret")
    check(_basic("api", "s3cret"), "s3cret")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_token"),
        ("", "missing_token"),
        ("Bearer nope", "invalid_token"),
        ("Bearer ", "invalid_token"),
        (_basic("api", "nope"), "invalid_token"),
        (_basic("admin", "s3cret"), "invalid_token"),
        ("Basic ???", "invalid_token"),
        ("Digest abc", "invalid_token"),
    ],
)
def test_rejected(header: str | None, code: str) -> None:
    with pytest.raises(AuthFailure) as info:
        check(header, "s3cret")
    assert info.value.code == code
    assert "s3cret" not in info.value.message and "nope" not in info.value.message


def test_revoked_token_rejects_everything() -> None:
    with pytest.raises(AuthFailure):
        check("Bearer s3cret", None)
