"""The Spark job in EMR Serverless's layout: what it imports resolves there, and Delta reaches it as EMR
gives it (jars on `spark.jars`: the JVM has them, Python does not).

The layout is the one local mode's Transform runs in (wistia_local.local_emr): the template's
sparkSubmitParameters with the Delta jars of its EMR release, the job packaged by spark/package_job.py
(as the deploy script packages it), and `.venv-emr`, a Python holding pyspark and nothing else.
"""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
from pathlib import Path

import pytest

from wistia_local.local_emr import (
    LOCAL_SPARK,
    JobRuntime,
    _package_job,
    job_runtime,
    template_submit_parameters,
    translate,
)
from wistia_local.template import REPO_ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def runtime() -> JobRuntime:
    return job_runtime()


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _package_job(tmp_path_factory.mktemp("job"))


def imported_modules(source: str) -> set[str]:
    """Every absolute module a source imports, at any depth (imports inside functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names - {"__future__"}


def job_sources(entry_point: Path, archive: Path) -> dict[str, str]:
    import zipfile

    with zipfile.ZipFile(archive) as bundle:
        sources = {name: bundle.read(name).decode() for name in bundle.namelist() if name.endswith(".py")}
    return {entry_point.name: entry_point.read_text(encoding="utf-8"), **sources}


def run_in_job_python(runtime: JobRuntime, archive: Path, code: str, *arguments: str) -> str:
    """Run `code` with the job's Python and the job's zip on the path, and nothing from this process."""
    env = {**runtime.environment(), "PYTHONPATH": str(archive)}
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [str(runtime.python), "-c", code, *arguments],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=archive.parent,
    )
    return done.stdout


def test_every_import_of_the_job_resolves_in_the_emr_layout(
    runtime: JobRuntime, packaged: tuple[Path, Path]
) -> None:
    entry_point, archive = packaged
    sources = job_sources(entry_point, archive)
    wanted = sorted(set().union(*(imported_modules(source) for source in sources.values())))
    probe = (
        "import importlib, importlib.util, json, sys\n"
        "def found(name):\n"
        "    try:\n"
        "        return importlib.util.find_spec(name) is not None\n"
        "    except ModuleNotFoundError:\n"
        "        return False\n"
        "def attribute(name):\n"  # `from pkg import name` may name a module or an attribute
        "    parent, _, leaf = name.rpartition('.')\n"
        "    return bool(parent) and found(parent) and hasattr(importlib.import_module(parent), leaf)\n"
        "print(json.dumps({name: found(name) or attribute(name) for name in sys.argv[1:]}))\n"
    )

    resolved = json.loads(run_in_job_python(runtime, archive, probe, *wanted))

    assert "wistia_spark.merge" in resolved and "pyspark.sql" in resolved  # the walk found the job's imports
    assert [name for name, ok in resolved.items() if not ok] == []


def test_the_job_python_is_the_emr_one_not_this_one(runtime: JobRuntime, packaged: tuple[Path, Path]) -> None:
    """The layout would prove nothing if this process's packages leaked into the job's Python."""
    _, archive = packaged
    code = (
        "import importlib.util, json\n"
        "names = ['pyspark', 'delta', 'deltalake', 'pyarrow', 'pandas', 'wistia_ingest', 'wistia_local']\n"
        "print(json.dumps({n: importlib.util.find_spec(n) is not None for n in names}))\n"
    )

    found = json.loads(run_in_job_python(runtime, archive, code))

    assert found == {
        "pyspark": True,
        "delta": False,
        "deltalake": False,
        "pyarrow": False,
        "pandas": False,
        "wistia_ingest": False,
        "wistia_local": False,
    }


def test_spark_jars_reach_the_jvm_but_not_python(
    runtime: JobRuntime, packaged: tuple[Path, Path], tmp_path: Path
) -> None:
    """EMR's documented Delta set-up, run as EMR runs it: `import delta.tables` fails (Spark puts jars on the
    Python path only for --packages), while Delta's SQL works. Hence the job's merges are SQL (ADR 0018)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json, sys\n"
        "from pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.getOrCreate()\n"
        "try:\n"
        "    import delta.tables\n"
        "    python_import = 'ok'\n"
        "except ModuleNotFoundError as error:\n"
        "    python_import = f'{type(error).__name__}: {error}'\n"
        "table = f'delta.`{sys.argv[1]}`'\n"
        "spark.sql(f'CREATE TABLE {table} (k string) USING DELTA')\n"
        "spark.sql(\"SELECT 'a' AS k\").createOrReplaceTempView('s')\n"
        "merge = f'MERGE INTO {table} t USING s ON t.k = s.k WHEN NOT MATCHED THEN INSERT *'\n"
        "merged = spark.sql(merge).first()\n"
        "jvm_class = type(spark._jvm.io.delta.tables.DeltaTable).__name__\n"
        "print(json.dumps({'python_import': python_import, 'jvm_class': jvm_class,\n"
        "                  'inserted': merged['num_inserted_rows']}))\n",
        encoding="utf-8",
    )
    _, archive = packaged
    parameters = translate(
        shlex.split(template_submit_parameters()),
        delta_lib=runtime.delta_lib,
        local_path=lambda uri: str(archive),  # the only S3 URI there: the job's --py-files zip
    )
    table = (tmp_path / "table").as_uri()

    done = subprocess.run(  # noqa: S603 - our own probe
        [str(runtime.spark_submit), *LOCAL_SPARK, *parameters, str(probe), table],
        capture_output=True,
        text=True,
        env=runtime.environment(),
        check=False,
        cwd=tmp_path,
        timeout=240,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "python_import": "ModuleNotFoundError: No module named 'delta'",
        "jvm_class": "JavaClass",
        "inserted": 1,
    }
    assert "--packages" not in parameters
    assert any(str(runtime.delta_lib) in token for token in parameters)


def test_the_job_never_imports_the_delta_python_package() -> None:
    """The static half of the finding above, on the sources: no module of the job names `delta`."""
    spark_dir = REPO_ROOT / "spark"
    sources = {path: path.read_text(encoding="utf-8") for path in spark_dir.rglob("*.py")}
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(
            n for n in imported_modules(src) if n.split(".")[0] == "delta"
        )
        for path, src in sources.items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}
