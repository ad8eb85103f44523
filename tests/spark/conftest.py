"""One local SparkSession for the whole test run (a session costs seconds to start), Delta-enabled the way
the template's sparkSubmitParameters enable it on EMR (the same jars, extension and catalog).

tests/conftest.py puts every test here in one xdist group, so a parallel run starts one JVM for them.
Without the Delta jars the session fails to start, and every test with it: `make setup` fetches them.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Any:
    """The process's one Delta session (`delta_session`), shared with the in-process EMR runner; it stops
    with the process."""
    from wistia_local.local_emr import delta_session

    return delta_session()
