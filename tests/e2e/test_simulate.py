"""`simulate` under the mixed fault profile and every quirk of the real API at once (but the two auth
ones, which stop a run by design): every night succeeds and reconciles exactly."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from support.api import CLOCK_DATE
from wistia_local.local_emr import InProcessEmrRunner
from wistia_local.simulate import simulate, write_report

pytestmark = [pytest.mark.e2e, pytest.mark.serial]


def test_two_faulty_quirky_nights_reconcile_with_zero_mismatches(tmp_path: Path) -> None:
    saved = dict(os.environ)
    try:
        simulation = simulate(
            days=2,
            start=CLOCK_DATE,
            preset="demo",
            seed=7,
            faults="mixed",
            quirks="all,slow_seconds=1-2",  # slow pages scaled down, as the mixed profile's are
            rate_limit=6000,  # pages of 10 cost ten times the requests; pacing has tests of its own
            workdir=tmp_path / "wd",
            on_event=lambda line: None,
            emr_runner=InProcessEmrRunner,  # the job in this process's Delta session, no JVM per night
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert [day.status for day in simulation.days] == ["SUCCEEDED", "SUCCEEDED"], [
        d.cause for d in simulation.days
    ]
    assert sum(day.faults_seen for day in simulation.days) > 0, "the mixed profile injected faults"
    assert simulation.mismatches == 0, [day.reconciliation for day in simulation.days]
    assert simulation.ok
    assert [day.day for day in simulation.days] == [CLOCK_DATE, CLOCK_DATE + dt.timedelta(days=1)]
    checked = simulation.days[-1].reconciliation["checked"]  # type: ignore[index]
    assert checked["fct_events"] > 3000 and checked["dim_media"] > 0
    assert checked["quarantine"] > 0, "events served without received_at were held to the quarantine"

    json_path, markdown_path = write_report(simulation, tmp_path / "report")
    assert json.loads(json_path.read_text())["ok"] is True
    assert "| 2026-11-21 | SUCCEEDED |" in markdown_path.read_text()
