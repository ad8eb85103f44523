"""The documentation names what the code defines, so a new column cannot go undocumented."""

from __future__ import annotations

from pathlib import Path

import pytest

from wistia_ingest.settings import _VARIABLES
from wistia_spark.tables import ALL_TABLES, TableSpec

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda table: table.name)
def test_data_model_page_names_every_column(table: TableSpec) -> None:
    text = (ROOT / "docs/data-model.md").read_text(encoding="utf-8")
    assert f"`{table.name}`" in text
    assert [name for name in table.column_names if f"`{name}`" not in text] == []


def test_ingestion_page_lists_every_lambda_setting() -> None:
    text = (ROOT / "docs/ingestion.md").read_text(encoding="utf-8")
    assert [name for name in _VARIABLES if f"`{name}`" not in text] == []
