"""What every step of one execution needs to know, passed along the state machine (small: pointers only).

Plan builds it; the ingestion Lambdas, the Spark job and Commit receive it. The run key names the
logical run (`nightly-2026-11-20`, `backfill-2026-10-01-2026-10-31`), not the execution, so a re-run of
the same logical run writes the same bronze keys and overwrites instead of appending.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

Mode = Literal["nightly", "backfill"]
MEDIA_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # a Wistia hashed id; also safe inside S3 keys
VisitorPlan = Literal["snapshot", "by_key", "skip"]


class Window(BaseModel):
    """Closed UTC days, both ends inclusive."""

    model_config = ConfigDict(frozen=True)

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start > self.end:
            raise ValueError(f"window start {self.start} is after its end {self.end}")
        return self

    def days(self) -> Iterator[dt.date]:
        day = self.start
        while day <= self.end:
            yield day
            day += dt.timedelta(days=1)

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


class RunContext(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    run_key: str
    mode: Mode
    run_date: dt.date
    window: Window
    bucket: str
    bronze_prefix: str
    media_ids: tuple[str, ...] | None = None  # a backfill restricted to these medias
    full_sweep: bool = False
    visitors: VisitorPlan = "skip"
    stats_snapshot: bool = True  # tonight's nightly run snapshots media totals; backfills and re-runs of
    # earlier nights cannot (the API only serves totals as of now)

    @property
    def run_prefix(self) -> str:
        return run_prefix_for(self.bronze_prefix, self.run_key)

    @property
    def manifest_key(self) -> str:
        return f"{self.run_prefix}/manifest.json"

    @property
    def media_batches_key(self) -> str:
        return f"{self.run_prefix}/media_batches.json"

    @property
    def parts_prefix(self) -> str:
        return f"{self.run_prefix}/parts/"

    @property
    def failures_prefix(self) -> str:
        return failures_prefix_for(self.bronze_prefix, self.run_key)

    @property
    def map_results_prefix(self) -> str:
        """Where the IngestMedia Map's ResultWriter puts its child executions' results (one folder per
        map run: `<map run id>/manifest.json`, `SUCCEEDED_0.json`, `FAILED_0.json`); read by no step."""
        return f"{self.run_prefix}/map-results"


def run_prefix_for(bronze_prefix: str, run_key: str) -> str:
    return f"{bronze_prefix}/_runs/run={run_key}"


def failures_prefix_for(bronze_prefix: str, run_key: str) -> str:
    """Where units that raised leave a note (the distributed Map hides its children's errors)."""
    return f"{run_prefix_for(bronze_prefix, run_key)}/failures/"


def run_key_for(mode: Mode, run_date: dt.date, window: Window, media_ids: tuple[str, ...] | None) -> str:
    if mode == "nightly":
        return f"nightly-{run_date.isoformat()}"
    key = f"backfill-{window.start.isoformat()}-{window.end.isoformat()}"
    if media_ids:
        digest = hashlib.sha256(",".join(sorted(media_ids)).encode()).hexdigest()[:8]
        key += f"-m{digest}"
    return key
