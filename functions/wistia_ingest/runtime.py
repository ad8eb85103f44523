"""What a handler needs, built once per Lambda container: settings, AWS stores, the API client, PII keys.

Handlers call `get_runtime()`; tests build a `Runtime` directly (or reset the cache) after pointing
boto3 at moto. Secrets are read on first use, so a missing secret fails the first invocation with a
message naming it, and a rotated token is picked up by the next cold start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from wistia_ingest import aws
from wistia_ingest.bronze import BronzeStore
from wistia_ingest.client import WistiaClient
from wistia_ingest.config import ClientConfig
from wistia_ingest.errors import ConfigError
from wistia_ingest.pii import PiiProtector
from wistia_ingest.settings import Settings
from wistia_ingest.state import StateStore


@dataclass
class Runtime:
    settings: Settings
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @functools.cached_property
    def bronze(self) -> BronzeStore:
        return BronzeStore(aws.client("s3"), self.settings.lake_bucket)

    @functools.cached_property
    def state(self) -> StateStore:
        return StateStore(aws.client("dynamodb"), self.settings.state_table)

    @functools.cached_property
    def client_config(self) -> ClientConfig:
        overrides: dict[str, Any] = {}
        if self.settings.token_secret_id:
            overrides["token"] = aws.read_secret(self.settings.token_secret_id, field="token")
        elif not self.environ.get("WISTIA_API_TOKEN", "").strip():
            raise ConfigError(
                "no Wistia token: set WISTIA_TOKEN_SECRET_ID to the Secrets Manager secret holding it "
                "(or WISTIA_API_TOKEN outside AWS)"
            )
        if not self.environ.get("WISTIA_REQUESTS_PER_MINUTE", "").strip():
            overrides["requests_per_minute"] = self.settings.per_invocation_rate
        # No burst: every Map item starts a fresh bucket, so a burst of N would let each short item (a
        # backfill's batch is 10 requests) send N requests unthrottled, and the Map would outrun the
        # account's limit (docs/performance.md: 3% of a long backfill's requests got 429 with a burst of 10).
        overrides["rate_burst"] = 1
        return ClientConfig.from_env(self.environ, **overrides)

    @contextlib.contextmanager
    def wistia(self, *, alone: bool = False) -> Iterator[WistiaClient]:
        """A client for this invocation. `alone`: no other invocation runs now (Plan, IngestVisitors),
        so it may use the pipeline's whole share of the account limit instead of a Map item's slice."""
        config = self.client_config
        if alone and not self.environ.get("WISTIA_REQUESTS_PER_MINUTE", "").strip():
            config = config.model_copy(update={"requests_per_minute": self.settings.exclusive_rate})
        with WistiaClient(config) as client:
            yield client

    @functools.cached_property
    def pii(self) -> PiiProtector:
        secret_id = self.settings.pii_key_secret_id
        if self.settings.pii_mode == "drop" or secret_id is None:  # Settings requires the secret for hash
            return PiiProtector("drop", None)
        return PiiProtector("hash", aws.read_secret(secret_id, field="key").encode("utf-8"))

    def today(self) -> dt.date:
        """The pipeline's today: UTC, or PIPELINE_CLOCK_DATE in local mode, where the simulator keeps time."""
        override = self.environ.get("PIPELINE_CLOCK_DATE", "").strip()
        if override:
            try:
                return dt.date.fromisoformat(override)
            except ValueError:
                raise ConfigError(f"PIPELINE_CLOCK_DATE={override!r} is not a date; use YYYY-MM-DD") from None
        return dt.datetime.now(dt.UTC).date()


@functools.cache
def get_runtime() -> Runtime:
    return Runtime(Settings.from_env())
