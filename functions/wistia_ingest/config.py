"""Client configuration: one frozen object, built from the environment on Lambda and locally.

The token is a `SecretStr` and validation errors hide their inputs, so neither `repr(config)` nor a
failed validation can print it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from wistia_ingest.errors import ConfigError

CLIENT_VERSION = "0.1.0"
DEFAULT_BASE_URL = "https://api.wistia.com/v1"
DEFAULT_USER_AGENT = f"wistia-pipeline/{CLIENT_VERSION} (+https://github.com/wistia-pipeline/wistia-pipeline)"
MAX_PER_PAGE = 100  # Wistia caps per_page at 100 and silently defaults to 10 when it is absent.

TOKEN_HELP = "set WISTIA_API_TOKEN (a Wistia API token with read access) in the environment or .env"  # noqa: S105

AuthScheme = Literal["bearer", "basic"]


class ClientConfig(BaseModel):
    """Everything the Wistia client needs; immutable so one instance can be shared across threads."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    token: SecretStr
    base_url: str = DEFAULT_BASE_URL
    auth_scheme: AuthScheme = "bearer"
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    read_timeout_seconds: float = Field(default=60.0, gt=0)
    """Full pages of 100 events have been seen to take tens of seconds (docs/client.md)."""
    max_tries: int = Field(default=8, ge=1)
    max_time_seconds: float = Field(default=300.0, gt=0)
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=60.0, ge=0)
    max_retry_after_seconds: float = Field(default=120.0, ge=0)
    requests_per_minute: float | None = Field(default=None, gt=0)
    rate_burst: int = Field(default=10, ge=1)
    per_page: int = Field(default=MAX_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    max_pages: int = Field(default=10_000, ge=1)
    max_connections: int = Field(default=10, ge=1)
    user_agent: str = DEFAULT_USER_AGENT

    @field_validator("token", mode="before")
    @classmethod
    def _strip_token(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            raise ValueError("the token must be a string")
        raw = raw.strip()  # .env files and secrets often carry a trailing newline
        if not raw:
            raise ValueError(f"the token is blank; {TOKEN_HELP}")
        if any(ch.isspace() for ch in raw):
            raise ValueError("the token contains whitespace; copy it again from Wistia's API settings")
        return SecretStr(raw)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.wistia.com/v1")
        if parts.query or parts.fragment:
            raise ValueError("must not contain a query string or fragment")
        return value.strip().rstrip("/")

    @field_validator("user_agent")
    @classmethod
    def _check_user_agent(cls, value: str) -> str:
        if not value.strip() or "\n" in value or "\r" in value:
            raise ValueError("must be a non-empty single line")
        return value.strip()

    @property
    def rate_limited(self) -> bool:
        return self.requests_per_minute is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ClientConfig:
        """Build from WISTIA_* variables; keyword overrides win over the environment.

        WISTIA_API_TOKEN (required), WISTIA_BASE_URL, WISTIA_AUTH_SCHEME (bearer|basic),
        WISTIA_REQUESTS_PER_MINUTE (positive number, empty = no client-side limit),
        WISTIA_TIMEOUT_SECONDS (read timeout, positive number), WISTIA_MAX_TRIES (whole number),
        WISTIA_BACKOFF_BASE_SECONDS and WISTIA_BACKOFF_MAX_SECONDS (positive numbers).
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}

        token = env.get("WISTIA_API_TOKEN", "").strip()
        if token:
            values["token"] = token
        elif overrides.get("token") is None:
            raise ConfigError(f"WISTIA_API_TOKEN is missing or blank: {TOKEN_HELP}")

        base_url = env.get("WISTIA_BASE_URL", "").strip()
        if base_url:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    "WISTIA_BASE_URL must be an http(s) URL such as https://api.wistia.com/v1 "
                    "(or the simulator's http://127.0.0.1:<port>/v1)"
                )
            values["base_url"] = base_url

        scheme = env.get("WISTIA_AUTH_SCHEME", "").strip().lower()
        if scheme:
            if scheme not in ("bearer", "basic"):
                raise ConfigError(
                    f"WISTIA_AUTH_SCHEME={scheme!r} is not supported; accepted values: "
                    "'bearer' (Authorization: Bearer <token>, the default) or "
                    "'basic' (user 'api', the token as password)"
                )
            values["auth_scheme"] = scheme

        rpm = env.get("WISTIA_REQUESTS_PER_MINUTE", "").strip()
        if rpm:
            values["requests_per_minute"] = _positive_number(
                "WISTIA_REQUESTS_PER_MINUTE",
                rpm,
                "a positive number of requests per minute (e.g. 600), or empty for no client-side limit",
            )

        timeout = env.get("WISTIA_TIMEOUT_SECONDS", "").strip()
        if timeout:
            values["read_timeout_seconds"] = _positive_number(
                "WISTIA_TIMEOUT_SECONDS", timeout, "a positive number of seconds (e.g. 60)"
            )

        for variable, name, accepted in _RETRY_VARIABLES:
            text = env.get(variable, "").strip()
            if text:
                number = _positive_number(variable, text, accepted)
                values[name] = int(number) if name == "max_tries" else number

        values.update(overrides)
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'config'}: {error['msg']}"
                for error in exc.errors(include_input=False, include_url=False)
            )
            raise ConfigError(f"invalid Wistia client configuration: {problems}") from None


_RETRY_VARIABLES = (
    ("WISTIA_MAX_TRIES", "max_tries", "a whole number of attempts per request (e.g. 8)"),
    ("WISTIA_BACKOFF_BASE_SECONDS", "backoff_base_seconds", "a positive number of seconds (e.g. 1)"),
    ("WISTIA_BACKOFF_MAX_SECONDS", "backoff_max_seconds", "a positive number of seconds (e.g. 60)"),
)


def _positive_number(variable: str, text: str, accepted: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(f"{variable}={text!r} is not a number; expected {accepted}") from None
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"{variable}={text!r} is out of range; expected {accepted}")
    return number
