"""The world of a local-mode test: the demo account in the simulator, moto (LocalAws), and the pipeline
deployed in it, as `wistia-pipeline run` sets them up."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from support.api import CLOCK_DATE, TOKEN
from wistia_local.aws_local import LocalAws
from wistia_local.local_emr import InProcessEmrRunner
from wistia_local.local_run import LocalPipeline
from wistia_local.local_session import simulated_pipeline
from wistia_simulator import SimulatorConfig, WistiaSimulator


@contextlib.contextmanager
def local_pipeline(
    workdir: Path, environment: dict[str, str], *, emr_runner: Callable[..., Any] = InProcessEmrRunner
) -> Iterator[tuple[WistiaSimulator, LocalAws, LocalPipeline]]:
    """The simulator (demo preset, seed 7, CLOCK_DATE), moto, and the pipeline with `environment` for its
    Lambdas; the Transform runs in this process's Delta session by default."""
    config = SimulatorConfig(preset="demo", seed=7, date=CLOCK_DATE, token=TOKEN)
    with simulated_pipeline(workdir, config, environment=environment, emr_runner=emr_runner) as world:
        yield world
