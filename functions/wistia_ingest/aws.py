"""boto3 clients and secrets, created once per Lambda container and reused across invocations.

Endpoints come from boto3's own configuration (AWS_ENDPOINT_URL and friends), which is how local mode
points the same code at moto on 127.0.0.1.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from wistia_ingest.errors import ConfigError

_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


@functools.cache
def client(service: str) -> Any:
    return boto3.client(service, config=_BOTO_CONFIG)


def read_secret(secret_id: str, *, field: str | None = None) -> str:
    """A secret's string, or one field of a JSON secret. Errors name the secret, never its value."""
    try:
        response = client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        raise ConfigError(
            f"cannot read secret {secret_id!r} ({code}): check that it exists and that the function's role "
            "may call secretsmanager:GetSecretValue on it"
        ) from None
    value = str(response.get("SecretString") or "")
    if field is not None and value.lstrip().startswith("{"):
        try:
            value = str(json.loads(value).get(field) or "")
        except json.JSONDecodeError:
            raise ConfigError(f"secret {secret_id!r} is not valid JSON; store {{{field!r}: ...}}") from None
    if not value.strip():
        raise ConfigError(f"secret {secret_id!r} is empty; store the value in its SecretString")
    return value.strip()
