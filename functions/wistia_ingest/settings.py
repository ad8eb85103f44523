"""Pipeline settings for the Lambdas, from the environment the SAM template sets.

One frozen object per cold start. A missing or malformed variable is a ConfigError that names the
variable and what it accepts, raised at the first invocation rather than half-way through a run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wistia_ingest.errors import ConfigError

PiiMode = Literal["hash", "drop"]
VisitorCadence = Literal["every_run", "weekly"]

# environment variable -> (field name, what it accepts)
_VARIABLES: dict[str, tuple[str, str]] = {
    "LAKE_BUCKET": ("lake_bucket", "the S3 bucket for bronze data and the Delta tables"),
    "BRONZE_PREFIX": ("bronze_prefix", "a key prefix such as 'bronze'"),
    "STATE_TABLE": ("state_table", "the DynamoDB state table name"),
    "WISTIA_TOKEN_SECRET_ID": ("token_secret_id", "a Secrets Manager secret id or ARN"),
    "PII_KEY_SECRET_ID": ("pii_key_secret_id", "a Secrets Manager secret id or ARN"),
    "PII_MODE": ("pii_mode", "'hash' (HMAC-SHA256) or 'drop'"),
    "LOOKBACK_DAYS": ("lookback_days", "a whole number of days, 0 to 30"),
    "INITIAL_WINDOW_DAYS": ("initial_window_days", "a whole number of days, 1 to 730"),
    "MEDIA_BATCH_SIZE": ("media_batch_size", "a whole number, 1 to 100"),
    "MEDIA_FULL_SWEEP_DAYS": ("media_full_sweep_days", "a whole number of days, 1 to 90"),
    "VISITOR_CADENCE": ("visitor_cadence", "'every_run' or 'weekly'"),
    "LOCK_LEASE_SECONDS": ("lock_lease_seconds", "a whole number of seconds, 60 to 86400"),
    "RUN_RECORD_TTL_DAYS": ("run_record_ttl_days", "a whole number of days, 1 to 3650"),
    "WISTIA_ACCOUNT_RATE_LIMIT": ("account_rate_limit", "the account's requests per minute, e.g. 600"),
    "WISTIA_RATE_SHARE": ("rate_share", "the share of the account limit the pipeline may use, 0.1 to 1"),
    "MAP_MAX_CONCURRENCY": ("map_max_concurrency", "the Map states' MaxConcurrency, 1 to 100"),
    "TOLERATED_FAILURE_PERCENTAGE": (
        "tolerated_failure_percentage",
        "the share of media batches that may fail without failing the run, 0 to 100",
    ),
}


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lake_bucket: str = Field(min_length=3)
    bronze_prefix: str = Field(default="bronze", pattern=r"^[A-Za-z0-9_\-/]+$")
    state_table: str = Field(min_length=3)
    token_secret_id: str | None = None
    pii_key_secret_id: str | None = None
    pii_mode: PiiMode = "hash"
    lookback_days: int = Field(default=3, ge=0, le=30)
    initial_window_days: int = Field(default=30, ge=1, le=730)
    media_batch_size: int = Field(default=10, ge=1, le=100)
    media_full_sweep_days: int = Field(default=7, ge=1, le=90)
    visitor_cadence: VisitorCadence = "weekly"
    lock_lease_seconds: int = Field(default=10800, ge=60, le=86400)
    run_record_ttl_days: int = Field(default=400, ge=1, le=3650)
    account_rate_limit: float = Field(default=600, gt=0)
    rate_share: float = Field(default=0.9, ge=0.1, le=1)
    map_max_concurrency: int = Field(default=5, ge=1, le=100)
    tolerated_failure_percentage: float = Field(default=5.0, ge=0, le=100)

    @property
    def per_invocation_rate(self) -> float:
        """Requests per minute one Lambda may send so that a full Map stays under the account limit.

        Up to `map_max_concurrency` invocations run at once and share one account limit; the share
        below 1 leaves room for retries after 429s and for anyone else using the same token.
        """
        return self.exclusive_rate / self.map_max_concurrency

    @property
    def exclusive_rate(self) -> float:
        """Requests per minute for a step that runs alone (Plan, IngestVisitors)."""
        return self.account_rate_limit * self.rate_share

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            field: env[name].strip() for name, (field, _) in _VARIABLES.items() if env.get(name, "").strip()
        }
        try:
            settings = cls(**values)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None
        if settings.pii_mode == "hash" and not settings.pii_key_secret_id:
            raise ConfigError(
                "PII_MODE=hash needs PII_KEY_SECRET_ID (the Secrets Manager secret holding the HMAC key); "
                "set it, or set PII_MODE=drop to drop personal fields instead"
            )
        return settings


def _explain(exc: ValidationError) -> str:
    by_field = {field: (name, accepts) for name, (field, accepts) in _VARIABLES.items()}
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        name, accepts = by_field.get(field, (field, "a valid value"))
        missing = error["type"] == "missing"
        problems.append(f"{name} is {'not set' if missing else 'invalid'}: set it to {accepts}")
    return "; ".join(problems)
