from __future__ import annotations

import base64
import logging
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from wistia_ingest.config import DEFAULT_BASE_URL, ClientConfig
from wistia_ingest.errors import AuthenticationError, ConfigError, ServerError

MakeClient = Callable[..., Any]
SECRET = "s3cr3t-T0KEN-value-abcdef"


def env(**values: str) -> dict[str, str]:
    return {"WISTIA_API_TOKEN": SECRET, **values}


def test_defaults() -> None:
    config = ClientConfig(token=SECRET)
    assert config.base_url == DEFAULT_BASE_URL
    assert config.auth_scheme == "bearer"
    assert (config.connect_timeout_seconds, config.read_timeout_seconds) == (5, 60)
    assert (config.max_tries, config.max_time_seconds) == (8, 300)
    assert (config.backoff_base_seconds, config.backoff_max_seconds, config.max_retry_after_seconds) == (
        1,
        60,
        120,
    )
    assert config.requests_per_minute is None and config.rate_burst == 10
    assert (config.per_page, config.max_pages, config.max_connections) == (100, 10_000, 10)
    assert config.user_agent.startswith("wistia-pipeline/")


def test_token_never_shows_in_repr_str_or_dumps() -> None:
    config = ClientConfig(token=SECRET)
    for text in (repr(config), str(config), config.model_dump_json(), str(config.model_dump())):
        assert SECRET not in text
    assert config.token.get_secret_value() == SECRET
    assert SECRET not in repr(pickle.loads(pickle.dumps(config)))  # noqa: S301


def test_config_is_frozen() -> None:
    config = ClientConfig(token=SECRET)
    with pytest.raises(ValidationError):
        config.max_tries = 1  # type: ignore[misc]


def test_validation_errors_hide_inputs() -> None:
    with pytest.raises(ValidationError) as caught:
        ClientConfig(token="has a space " + SECRET)
    assert SECRET not in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        ClientConfig(token=SECRET, per_page=500)
    assert SECRET not in str(caught.value)


def test_token_is_stripped() -> None:
    assert ClientConfig(token=f"  {SECRET}\n").token.get_secret_value() == SECRET


@pytest.mark.parametrize("environ", [{}, {"WISTIA_API_TOKEN": ""}, {"WISTIA_API_TOKEN": "   \n"}])
def test_from_env_requires_a_token(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        ClientConfig.from_env(environ)
    assert "set WISTIA_API_TOKEN (a Wistia API token with read access) in the environment or .env" in str(
        caught.value
    )


def test_from_env_reads_every_variable() -> None:
    config = ClientConfig.from_env(
        env(
            WISTIA_BASE_URL="http://127.0.0.1:8123/v1/",
            WISTIA_AUTH_SCHEME="Basic",
            WISTIA_REQUESTS_PER_MINUTE="300",
            WISTIA_TIMEOUT_SECONDS="12.5",
        )
    )
    assert config.token.get_secret_value() == SECRET
    assert config.base_url == "http://127.0.0.1:8123/v1"
    assert config.auth_scheme == "basic"
    assert config.requests_per_minute == 300
    assert config.read_timeout_seconds == 12.5


def test_from_env_treats_empty_optional_variables_as_unset() -> None:
    config = ClientConfig.from_env(
        env(
            WISTIA_BASE_URL="",
            WISTIA_AUTH_SCHEME="",
            WISTIA_REQUESTS_PER_MINUTE="",
            WISTIA_TIMEOUT_SECONDS="",
        )
    )
    assert config == ClientConfig(token=SECRET)


def test_from_env_overrides_win() -> None:
    config = ClientConfig.from_env(
        env(WISTIA_BASE_URL="https://a.test/v1"), base_url="https://b.test/v1", max_tries=2
    )
    assert config.base_url == "https://b.test/v1" and config.max_tries == 2
    assert ClientConfig.from_env({}, token=SECRET).token.get_secret_value() == SECRET


def test_from_env_uses_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISTIA_API_TOKEN", SECRET)
    monkeypatch.setenv("WISTIA_AUTH_SCHEME", "basic")
    assert ClientConfig.from_env().auth_scheme == "basic"


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("WISTIA_AUTH_SCHEME", "token", "'bearer'"),
        ("WISTIA_AUTH_SCHEME", "digest", "'basic'"),
        ("WISTIA_REQUESTS_PER_MINUTE", "lots", "positive number of requests per minute"),
        ("WISTIA_REQUESTS_PER_MINUTE", "0", "positive number"),
        ("WISTIA_REQUESTS_PER_MINUTE", "-60", "positive number"),
        ("WISTIA_REQUESTS_PER_MINUTE", "inf", "positive number"),
        ("WISTIA_TIMEOUT_SECONDS", "30s", "positive number of seconds"),
        ("WISTIA_TIMEOUT_SECONDS", "0", "positive number of seconds"),
        ("WISTIA_BASE_URL", "api.wistia.com/v1", "http(s) URL"),
        ("WISTIA_BASE_URL", "ftp://api.wistia.com/v1", "http(s) URL"),
    ],
)
def test_from_env_rejects_bad_values_naming_the_variable(variable: str, value: str, accepted: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ClientConfig.from_env(env(**{variable: value}))
    message = str(caught.value)
    assert variable in message
    assert accepted in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"per_page": 500}, "per_page"), ({"max_tries": 0}, "max_tries"), ({"colour": "blue"}, "colour")],
)
def test_from_env_rejects_bad_overrides(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ClientConfig.from_env(env(), **overrides)
    assert field in str(caught.value)
    assert SECRET not in str(caught.value)


def test_bearer_and_default_headers(make_client: MakeClient, token: str) -> None:
    client, recorder = make_client(lambda request: httpx.Response(200, json={}))
    client.get_json("/stats/account")
    headers = recorder.requests[0].headers
    assert headers["Authorization"] == f"Bearer {token}"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("wistia-pipeline/")
    assert str(recorder.requests[0].url) == "https://api.example.test/v1/stats/account"


def test_basic_auth_uses_api_user_and_token_password(make_client: MakeClient, token: str) -> None:
    client, recorder = make_client(lambda request: httpx.Response(200, json={}), auth_scheme="basic")
    client.get_json("/stats/account")
    scheme, encoded = recorder.requests[0].headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"api:{token}"


def test_token_absent_from_logs_errors_and_reprs(
    make_client: MakeClient, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    answers = iter(
        [
            httpx.Response(500, text=f"internal error for Bearer {token}"),  # a server echoing the header
            httpx.Response(500, json={"error": "still broken"}),
            httpx.Response(401, json={"code": "unauthorized", "error": f"Invalid credentials: {token}"}),
        ]
    )
    client, _ = make_client(lambda request: next(answers))
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as caught:
        client.get_json("/medias")
    assert caplog.records, "expected retry logs"
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in str(record.__dict__)
    assert token not in caplog.text
    assert token not in str(caught.value) and token not in repr(caught.value)
    assert "***" in str(caught.value)  # the echoed token was scrubbed
    assert token not in repr(client)
    assert token not in repr(client.config)
    assert token not in str(client.stats.as_dict())


def test_exhausted_error_message_has_no_token(make_client: MakeClient, token: str) -> None:
    client, _ = make_client(lambda request: httpx.Response(502, text=f"bad gateway {token}"), max_tries=2)
    with pytest.raises(ServerError) as caught:
        client.get_json("/medias")
    assert token not in str(caught.value)
    assert "gave up after 2 attempts" in str(caught.value)


def test_retry_settings_come_from_the_environment() -> None:
    from wistia_ingest.config import ClientConfig
    from wistia_ingest.errors import ConfigError

    env = {
        "WISTIA_API_TOKEN": "t0k",
        "WISTIA_MAX_TRIES": "3",
        "WISTIA_BACKOFF_BASE_SECONDS": "0.01",
        "WISTIA_BACKOFF_MAX_SECONDS": "0.5",
    }
    config = ClientConfig.from_env(env)
    assert (config.max_tries, config.backoff_base_seconds, config.backoff_max_seconds) == (3, 0.01, 0.5)
    with pytest.raises(ConfigError, match="WISTIA_MAX_TRIES"):
        ClientConfig.from_env({**env, "WISTIA_MAX_TRIES": "many"})
