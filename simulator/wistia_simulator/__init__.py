"""A Wistia Data/Stats API simulator: a deterministic synthetic account served over HTTP on loopback.

It models Wistia, not any client of it (see docs/simulator.md).
"""

from __future__ import annotations

from wistia_simulator.faults import FaultProfile
from wistia_simulator.presets import PRESETS, Preset
from wistia_simulator.quirks import Quirks
from wistia_simulator.simulator import SimulatorConfig, WistiaSimulator

__all__ = ["PRESETS", "FaultProfile", "Preset", "Quirks", "SimulatorConfig", "WistiaSimulator"]
