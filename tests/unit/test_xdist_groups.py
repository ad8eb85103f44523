"""`make test` relies on xdist groups (tests/conftest.py): one worker for the Spark tests and the serial
modules that join them, one for the other serial ones. Some pytest and xdist versions drop the groups
without a word (pytest-dev/pytest-xdist#1386): this runs a small suite through the real hook and plugins
and checks that the groups hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parents[1]

SERIAL_MODULE = """
import pytest

pytestmark = pytest.mark.serial


def test_one():
    pass


def test_two():
    pass
"""

SERIAL_WITH_SPARK_MODULE = SERIAL_MODULE.replace("pytest.mark.serial", 'pytest.mark.serial("spark")')

PLAIN_MODULE = """
def test_one():
    pass


def test_two():
    pass
"""


def test_serial_tests_share_one_worker_under_loadgroup(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    serial: kept in one worker\n")
    (tmp_path / "spark").mkdir()
    for index in range(3):
        (tmp_path / f"test_serial_{index}.py").write_text(SERIAL_MODULE)
        (tmp_path / f"test_plain_{index}.py").write_text(PLAIN_MODULE)
        (tmp_path / "spark" / f"test_spark_{index}.py").write_text(PLAIN_MODULE)
    (tmp_path / "test_with_spark.py").write_text(SERIAL_WITH_SPARK_MODULE)

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "3", "--dist", "loadgroup", "-v"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    ran = re.findall(r"\[(gw\d)\] .*PASSED ((?:spark/)?test_\w+\.py::test_\w+)(@[\w-]+)?", done.stdout)
    assert len(ran) == 20, done.stdout
    serial = [(worker, test, group) for worker, test, group in ran if test.startswith("test_serial")]
    assert [(test, group) for _, test, group in serial] == [
        (f"test_serial_{index}.py::{test}", "@serial")
        for index in range(3)
        for test in ("test_one", "test_two")
    ], "one group, in collection order"
    assert len({worker for worker, _, _ in serial}) == 1, serial
    spark = [(worker, test, group) for worker, test, group in ran if group == "@spark"]
    assert [test for _, test, _ in spark] == [
        f"{module}::{test}"
        for module in (
            "spark/test_spark_0.py",
            "spark/test_spark_1.py",
            "spark/test_spark_2.py",
            "test_with_spark.py",
        )
        for test in ("test_one", "test_two")
    ], "the Spark tests and the serial module that joins them: one group, in collection order"
    assert len({worker for worker, _, _ in spark}) == 1 and {w for w, _, _ in spark}.isdisjoint(
        {w for w, _, _ in serial}
    ), "the two groups in two workers"
