"""Scale presets: how big the synthetic account is and how busy it gets.

A preset only sets rates; the world is still a function of (seed, preset, origin), and the counts that
come out are whatever those rates produce (see docs/simulator.md for the measured sizes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    history_days: int
    """Default distance between the origin (first day of the account) and the configured date."""
    projects: int
    initial_medias: int
    """Medias uploaded on the origin day."""
    new_medias_per_day: float
    renames_per_day: float
    archives_per_day: float
    deletions_per_day: float
    loads_per_day: float
    """Average embeds loaded per day over the whole account (plays are a share of these)."""
    new_visitor_share: float = 0.045
    """Share of loads that come from a visitor never seen before."""
    lead_share: float = 0.08
    """Share of visitors who identify themselves (email gate) at some point."""


PRESETS: dict[str, Preset] = {
    "demo": Preset(
        name="demo",
        history_days=30,
        projects=5,
        initial_medias=10,
        new_medias_per_day=0.15,
        renames_per_day=0.12,
        archives_per_day=0.05,
        deletions_per_day=0.04,
        loads_per_day=250.0,
    ),
    "standard": Preset(
        name="standard",
        history_days=365,
        projects=14,
        initial_medias=110,
        new_medias_per_day=0.52,
        renames_per_day=0.6,
        archives_per_day=0.12,
        deletions_per_day=0.06,
        loads_per_day=1800.0,
    ),
    "large": Preset(
        name="large",
        history_days=730,
        projects=32,
        initial_medias=500,
        new_medias_per_day=1.37,
        renames_per_day=2.0,
        archives_per_day=0.4,
        deletions_per_day=0.2,
        loads_per_day=4500.0,
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}") from None
