"""The world of a local-mode test: the demo account in the simulator, moto (LocalAws), and the pipeline
deployed in it, as `wistia-pipeline run` sets them up."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from support.api import CLOCK_DATE, TOKEN
from wistia_local.aws_local import LocalAws
from wistia_local.local_emr import InProcessEmrRunner
from wistia_local.local_run import LocalPipeline
from wistia_local.workdir import Workdir
from wistia_simulator import SimulatorConfig, WistiaSimulator


@contextlib.contextmanager
def local_pipeline(
    workdir: Path, environment: dict[str, str], *, emr_runner: Callable[..., Any] = InProcessEmrRunner
) -> Iterator[tuple[WistiaSimulator, LocalAws, LocalPipeline]]:
    """The simulator (demo preset, seed 7, CLOCK_DATE), moto, and the pipeline with `environment` for its
    Lambdas; the Transform runs in this process's Delta session by default. The process environment, which
    LocalAws points at moto, is restored afterwards."""
    saved_environment = dict(os.environ)
    config = SimulatorConfig(preset="demo", seed=7, date=CLOCK_DATE, token=TOKEN)
    try:
        with WistiaSimulator(config) as sim, LocalAws() as aws:
            pipeline = LocalPipeline(
                aws,
                Workdir(workdir),
                wistia_base_url=sim.base_url,
                wistia_token=TOKEN,
                clock_date=lambda: sim.now.date(),  # noqa: PLW0108 - now moves with the clock
                on_event=lambda message: None,
                extra_environment=environment,
                emr_runner=emr_runner,
            )
            yield sim, aws, pipeline
    finally:
        os.environ.clear()
        os.environ.update(saved_environment)
