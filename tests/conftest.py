"""How `make test` spreads the suite over xdist workers (`--dist loadgroup`): a group runs in one worker,
its tests in collection order and back to back, beside everything else.

- `serial`: the tests marked `serial`, one module after another. Such a module keeps a moto server
  (LocalAws) alive across its tests, and no other test may run in its process meanwhile, since a
  `mock_aws()` resets moto's backends under it; the modules that run nights share the worker's one Delta
  session (one JVM, warm after the first night).
- `spark`: every test under tests/spark, so one worker starts one JVM (a session costs seconds) and each
  module-scoped fixture runs once; and the serial modules marked `serial("spark")`, which run there,
  before the Spark tests, in the same session. The nights are split over the two Delta workers so that
  both groups take about as long: each is one worker and one JVM, and neither waits on the other.

Spark and end-to-end (`e2e`) tests run jobs and whole nights with the cores shared by the other workers:
they get SLOW_TIMEOUT_SECONDS unless they set their own timeout, instead of pyproject's 300 s per test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SPARK_TESTS = Path(__file__).parent / "spark"
SLOW_TIMEOUT_SECONDS = 900


# tryfirst: xdist's worker turns the mark into the `@<group>` suffix its scheduler groups by, in its own hook
# of this name, which pluggy would otherwise call first (it was registered earlier), before the mark is there.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        spark = SPARK_TESTS in item.path.parents
        serial = item.get_closest_marker("serial")
        if spark:
            item.add_marker(pytest.mark.xdist_group("spark"))
        elif serial:
            item.add_marker(pytest.mark.xdist_group(serial.args[0] if serial.args else "serial"))
        if (spark or item.get_closest_marker("e2e")) and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_SECONDS))
