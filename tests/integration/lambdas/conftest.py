"""Moto for S3, DynamoDB and Secrets Manager, a demo simulator for Wistia, and the Lambdas' runtime."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from support.api import CLOCK_DATE, TOKEN
from support.lake import create_resources, lambda_environment
from wistia_ingest import aws, runtime
from wistia_ingest.run_context import RunContext, Window
from wistia_ingest.settings import Settings
from wistia_simulator import SimulatorConfig, WistiaSimulator


@pytest.fixture
def sim() -> Iterator[WistiaSimulator]:
    with WistiaSimulator(SimulatorConfig(preset="demo", seed=7, date=CLOCK_DATE, token=TOKEN)) as running:
        yield running


@pytest.fixture
def lambda_env(sim: WistiaSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The Lambda environment inside moto; boto3 and runtime caches are reset around each test."""
    env = lambda_environment(sim.base_url)
    # Retry waits in milliseconds so fault tests stay fast; everything else as in production.
    env.update(
        {
            "WISTIA_TIMEOUT_SECONDS": "5",
            "WISTIA_MAX_TRIES": "3",
            "WISTIA_BACKOFF_BASE_SECONDS": "0.01",
            "PIPELINE_CLOCK_DATE": CLOCK_DATE.isoformat(),  # the simulator's today
            "WISTIA_REQUESTS_PER_MINUTE": "6000",  # the rate budget has its own tests
        }
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WISTIA_API_TOKEN", raising=False)
    with mock_aws():
        aws.client.cache_clear()
        runtime.get_runtime.cache_clear()
        create_resources(boto3.Session(region_name="us-east-1"), token=TOKEN)
        yield env
        aws.client.cache_clear()
        runtime.get_runtime.cache_clear()


@pytest.fixture
def rt(lambda_env: dict[str, str]) -> runtime.Runtime:
    return runtime.get_runtime()


@pytest.fixture
def make_ctx(rt: runtime.Runtime) -> Callable[..., RunContext]:
    def make(**overrides: Any) -> RunContext:
        run_date = overrides.pop("run_date", CLOCK_DATE)
        fields: dict[str, Any] = {
            "run_id": "test-run-1",
            "run_key": f"nightly-{run_date.isoformat()}",
            "mode": "nightly",
            "run_date": run_date,
            "window": Window(start=run_date - dt.timedelta(days=4), end=run_date - dt.timedelta(days=1)),
            "bucket": rt.settings.lake_bucket,
            "bronze_prefix": rt.settings.bronze_prefix,
            "visitors": "snapshot",
        }
        fields.update(overrides)
        rt.state.acquire_lock(fields["run_id"], lease_seconds=rt.settings.lock_lease_seconds)  # as Plan does
        return RunContext(**fields)

    return make


@pytest.fixture
def settings(rt: runtime.Runtime) -> Settings:
    return rt.settings
