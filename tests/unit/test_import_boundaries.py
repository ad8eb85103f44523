"""The boundaries DESIGN.md §4 sets: the simulator never sees the client, production never sees local mode."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package source root -> top-level packages it must never import
FORBIDDEN = {
    "functions/wistia_ingest": {"wistia_simulator", "wistia_local"},
    "simulator/wistia_simulator": {"wistia_ingest", "wistia_local"},
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_forbidden_packages(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}"
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_levels(path) & FORBIDDEN[package]) for path in files
    }
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_lambda_bundle_imports_no_heavy_dependencies() -> None:
    heavy = {"pyspark", "pandas", "numpy", "deltalake", "duckdb", "streamlit", "moto"}
    found = {
        str(path.relative_to(ROOT)): sorted(imported_top_levels(path) & heavy)
        for path in (ROOT / "functions").rglob("*.py")
    }
    assert {path: bad for path, bad in found.items() if bad} == {}


def test_the_checker_sees_imports() -> None:
    # Guards the guard: a parse that missed imports would make the tests above pass vacuously.
    source = ROOT / "local/wistia_local/cli.py"
    assert {"wistia_local", "wistia_ingest"} <= imported_top_levels(source)
