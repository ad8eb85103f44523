"""`make test` relies on xdist groups (tests/conftest.py): one worker for the Spark tests, one for the
serial ones. Some pytest and xdist versions drop the groups without a word (pytest-dev/pytest-xdist#1386):
this runs a small suite through the real hook and plugins and checks that the serial groups hold."""

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

PLAIN_MODULE = """
def test_one():
    pass


def test_two():
    pass
"""


def test_serial_tests_share_one_worker_under_loadgroup(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    serial: kept in one worker\n")
    for index in range(3):
        (tmp_path / f"test_serial_{index}.py").write_text(SERIAL_MODULE)
        (tmp_path / f"test_plain_{index}.py").write_text(PLAIN_MODULE)

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-v"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    ran = re.findall(r"\[(gw\d)\] .*PASSED (test_\w+\.py::test_\w+)(@[\w-]+)?", done.stdout)
    assert len(ran) == 12, done.stdout
    serial = [(worker, test, group) for worker, test, group in ran if test.startswith("test_serial")]
    assert [(test, group) for _, test, group in serial] == [
        (f"test_serial_{index}.py::{test}", "@serial")
        for index in range(3)
        for test in ("test_one", "test_two")
    ], "one group, in collection order"
    assert len({worker for worker, _, _ in serial}) == 1, serial
