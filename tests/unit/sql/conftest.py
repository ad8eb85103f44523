"""Fixtures over the small hand-written lake in support/fixture_lake.py (its docstring lists the rows).

The expected view results in test_views.py are worked out by hand from those rows; change one and
re-derive the other.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.fixture_lake import (
    D5,
    D6,
    daily,
    engagement,
    event,
    media,
    visitor,
    write_fixture_lake,
    write_table,
)
from wistia_spark.tables import TableSpec

LakeWriter = Callable[[TableSpec, list[dict[str, Any]]], Path]


@pytest.fixture
def lake_writer(tmp_path: Path) -> LakeWriter:
    """Write one table into a fresh lake under tmp_path; returns the lake directory."""
    lake = tmp_path / "lake"

    def write(spec: TableSpec, rows: list[dict[str, Any]]) -> Path:
        write_table(lake, spec, rows)
        return lake

    return write


@pytest.fixture
def rows() -> types.SimpleNamespace:
    """The row factories, for tests that write their own small tables."""
    return types.SimpleNamespace(
        media=media, engagement=engagement, daily=daily, event=event, visitor=visitor, D5=D5, D6=D6
    )


@pytest.fixture
def fixture_lake(tmp_path: Path) -> Path:
    """The lake described in support/fixture_lake.py (no quarantine table: it is absent on purpose)."""
    return write_fixture_lake(tmp_path / "fixture-lake")
