"""Figures, their targets, and how a benchmark run is reported: a Markdown table and one JSON file.

A figure is one number measured in one run. A target, when the issue sets one, says which side of a
limit the number must fall on; a figure without a target is reported for context (a ratio's two terms,
a breakdown). Ratios are the headline figures: both terms come from the same run on the same machine,
so the machine's speed and load mostly cancel out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Comparison = Literal["<=", "<", ">="]


@dataclass(frozen=True)
class Target:
    comparison: Comparison
    limit: float

    def met(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.comparison == "<=":
            return value <= self.limit
        if self.comparison == "<":
            return value < self.limit
        return value >= self.limit

    def __str__(self) -> str:
        return f"{self.comparison} {self.limit:g}"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str = ""
    target: Target | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": str(self.target) if self.target else None,
            "met": self.met,
            "note": self.note,
        }


@dataclass
class BenchResult:
    """What one benchmark measured: its figures, the raw details they came from, how long it took."""

    name: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def add(
        self, name: str, value: float, unit: str = "", target: Target | None = None, note: str = ""
    ) -> Figure:
        figure = Figure(name=name, value=value, unit=unit, target=target, note=note)
        self.figures.append(figure)
        return figure

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 1),
            "error": self.error,
            "figures": [figure.to_json() for figure in self.figures],
            "details": self.details,
        }


def format_value(value: float, unit: str = "") -> str:
    """Whole numbers without decimals, small ratios with three significant decimals, others with one."""
    if math.isnan(value):
        text = "n/a"
    elif float(value).is_integer() and abs(value) >= 10:
        text = f"{int(value):,}"
    elif abs(value) < 10:
        text = f"{value:.3f}"
    else:
        text = f"{value:,.1f}"
    return f"{text} {unit}".strip()


def verdict(figure: Figure) -> str:
    if figure.met is None:
        return ""
    return "met" if figure.met else "**missed**"


def markdown_table(results: list[BenchResult]) -> str:
    lines = [
        "| benchmark | figure | value | target | result | note |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        if result.error:
            lines.append(f"| {result.name} | (failed) | | | **error** | {_cell(result.error)} |")
            continue
        for figure in result.figures:
            target = str(figure.target) if figure.target else ""
            lines.append(
                f"| {result.name} | {figure.name} | {format_value(figure.value, figure.unit)} | {target} | "
                f"{verdict(figure)} | {_cell(figure.note)} |"
            )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def write_results(path: Path, payload: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path
