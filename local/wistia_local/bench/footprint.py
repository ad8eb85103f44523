"""5. Footprint: the Lambda bundle's size, each handler's cold import time, the Spark job's peak memory.

- **Bundle**: built by the target `sam build` runs, `functions/Makefile`'s `build-<Function>`:
  functions/requirements.txt (transitive versions from constraints.txt) plus `functions/wistia_ingest`,
  all of it compiled to bytecode (`.pyc`, unchecked hash), as it ships. It holds no boto3: Lambda's
  python3.11 runtime provides it (ADR 0016). Sizes are of the arm64 build the stack deploys (the target's
  default platform: pip fetches aarch64 wheels), the files' bytes per distribution (each `.dist-info/RECORD`
  and the `.pyc` of the modules it lists), unzipped and zipped (deflate); for context, what the bundle
  would weigh with boto3 and its dependencies in it again, compiled too.
- **The runtime's boto3**: boto3 (at its constraints.txt pin, which need not be the runtime's version) and
  its dependencies, installed into a directory of their own, then compiled: the runtime's copies come with
  bytecode. If pip cannot install, the distributions are copied from where they are installed here.
- **Cold import**: each handler module imported in a fresh interpreter that sees only the standard
  library, the bundle and then the runtime's boto3 (`python -S`, writing no bytecode: `-B`), median of
  several runs. pydantic-core's aarch64 library does not load on this machine, so the same target builds
  a second bundle with this machine's wheels (`WHEEL_PLATFORM=`) for the imports. The headline is that
  bundle as shipped (compiled), boto3 compiled as the runtime provides it; for context, the bundle from
  source (a copy without `__pycache__`), as before the Makefile build: a zip without `.pyc` in Lambda's
  read-only `/var/task` compiles the whole bundle at every cold start.
- **Spark peak memory**: the resident memory of the spark-submit process tree (JVM and Python), sampled
  every 0.2 s during the Transform of the two nights api_efficiency.py runs on the `standard` preset.
"""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from importlib.util import cache_from_source
from pathlib import Path

from packaging.requirements import Requirement

from wistia_local.bench import api_efficiency
from wistia_local.bench.harness import BenchContext, median
from wistia_local.bench.report import BenchResult, Target
from wistia_local.template import REPO_ROOT

NAME = "footprint"
MB = 1_000_000
SIZE_TARGET = Target("<", 20.0)
IMPORT_TARGET = Target("<", 0.5)
HANDLERS = ("plan", "ingest_media", "ingest_events", "ingest_visitors", "commit")
BUILD_TARGET = "PlanFunction"
"""Any function's target builds the same bundle (they share `CodeUri: functions/`)."""
IMPORT_RUNS = 5
RUNTIME_PROVIDED = ["boto3"]
"""What the handlers import from Lambda's python3.11 runtime instead of the bundle (ADR 0016)."""
PROBE = (
    "import importlib, os, sys, time; sys.path[:0] = sys.argv[1].split(os.pathsep); "
    "started = time.perf_counter(); importlib.import_module(sys.argv[2]); "
    "print(time.perf_counter() - started)"
)


def build_bundle(target: Path, *, wheel_platform: str | None = None) -> None:
    """`functions/Makefile`'s build target into `target`: the arm64 bundle that ships, or with
    `wheel_platform=""` the same for this machine's platform."""
    make = shutil.which("make")
    if make is None:
        raise RuntimeError("building the bundle needs make (functions/Makefile)")
    command = [make, "-s", "-C", str(REPO_ROOT / "functions"), f"build-{BUILD_TARGET}"]
    command += [f"ARTIFACTS_DIR={target}", f"PYTHON={sys.executable}"]
    if wheel_platform is not None:
        command.append(f"WHEEL_PLATFORM={wheel_platform}")
    target.mkdir(parents=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed command
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-1500:]}")


def install(target: Path, requirements: list[str]) -> str:
    """`pip install --target` of `requirements` (versions from constraints.txt, no bytecode yet); returns
    how (pip, or copied from this environment if pip could not)."""
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(target), *requirements, "-c", str(REPO_ROOT / "constraints.txt"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed command
    if done.returncode == 0:
        return "pip install --target"
    shutil.rmtree(target, ignore_errors=True)
    copy_installed_distributions(target, [Requirement(text).name for text in requirements])
    return f"copied from this environment (pip failed: {done.stderr.strip().splitlines()[-1:]})"


def copy_installed_distributions(target: Path, names: list[str]) -> None:
    """The fallback: the distributions and their dependency closure, as installed here."""
    todo, seen = list(names), set[str]()
    while todo:
        name = _normal(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
        for file in dist.files or []:
            source = Path(str(dist.locate_file(file)))
            if source.is_file() and "__pycache__" not in file.parts and ".." not in file.parts:
                destination = target / file
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)


def sizes_by_distribution(bundle: Path) -> dict[str, int]:
    """Bytes per distribution (from RECORD, with the bytecode of its modules), plus the pipeline's own code
    and anything unaccounted."""
    sizes: dict[str, int] = {}
    accounted: set[Path] = set()
    for record in bundle.glob("*.dist-info/RECORD"):
        name = _normal(record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        total = 0
        for line in record.read_text(encoding="utf-8").splitlines():
            path = (bundle / line.split(",")[0]).resolve()
            files = [path, Path(cache_from_source(str(path)))] if path.suffix == ".py" else [path]
            for file in files:
                if file.is_file() and file not in accounted:
                    accounted.add(file)
                    total += file.stat().st_size
        sizes[name] = total
    rest = {p.resolve() for p in bundle.rglob("*") if p.is_file()} - accounted
    own = {p for p in rest if (bundle / "wistia_ingest").resolve() in p.parents}
    sizes["wistia_ingest (this repository)"] = sum(p.stat().st_size for p in own)
    sizes["(other files)"] = sum(p.stat().st_size for p in rest - own)
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


def zipped_bytes(bundle: Path, archive: Path) -> int:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
            zipped.write(path, path.relative_to(bundle).as_posix())
    return archive.stat().st_size


def import_seconds(paths: list[Path], module: str) -> float:
    search = os.pathsep.join(str(path) for path in paths)
    done = subprocess.run(  # noqa: S603 - our interpreter, a fixed probe
        [sys.executable, "-S", "-B", "-c", PROBE, search, module],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"},
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {module} from the bundle failed: {done.stderr[-1500:]}")
    return float(done.stdout.strip().splitlines()[-1])


def cold_imports(paths: list[Path], *, runs: int) -> dict[str, list[float]]:
    measured: dict[str, list[float]] = {handler: [] for handler in HANDLERS}
    for _ in range(runs):  # handlers interleaved, so a busy moment on the machine is shared out
        for handler in HANDLERS:
            measured[handler].append(import_seconds(paths, f"wistia_ingest.handlers.{handler}"))
    return measured


def run(ctx: BenchContext) -> BenchResult:
    result = BenchResult(NAME)
    work = ctx.workdir("footprint")
    bundle, host, source, runtime = (work / name for name in ("bundle", "host", "source", "runtime"))
    build_bundle(bundle)
    sizes = sizes_by_distribution(bundle)
    unzipped = sum(sizes.values())
    zipped = zipped_bytes(bundle, work / "bundle.zip")
    runtime_method = install(runtime, RUNTIME_PROVIDED)
    compileall.compile_dir(str(runtime), quiet=1, workers=1)  # the runtime's copies come with bytecode
    runtime_sizes = {name: size for name, size in sizes_by_distribution(runtime).items() if name not in sizes}
    boto3_version = _version(runtime, "boto3")
    boto3_extra = sum(runtime_sizes.values())
    biggest = ", ".join(f"{name} {size / MB:.1f}" for name, size in list(sizes.items())[:3])
    biggest_added = ", ".join(f"{name} {size / MB:.1f}" for name, size in list(runtime_sizes.items())[:2])
    result.add(
        "Lambda bundle, unzipped",
        unzipped / MB,
        unit="MB",
        target=SIZE_TARGET,
        note=f"arm64 build, bytecode included; largest: {biggest} MB; boto3 comes with Lambda's python3.11 "
        "runtime (ADR 0016)",
    )
    result.add("Lambda bundle, zipped", zipped / MB, unit="MB")
    result.add(
        "bundle with boto3 in it (before ADR 0016), unzipped",
        (unzipped + boto3_extra) / MB,
        unit="MB",
        note=f"boto3 {boto3_version} and its dependencies, compiled, add {boto3_extra / MB:.1f} MB "
        f"(largest: {biggest_added} MB)",
    )
    ctx.log(f"  bundle {unzipped / MB:.1f} MB unzipped; boto3 {boto3_version} ({runtime_method})")

    build_bundle(host, wheel_platform="")  # importable here (pydantic-core for this machine)
    shutil.copytree(host, source, ignore=shutil.ignore_patterns("__pycache__"))
    as_shipped = cold_imports([host, runtime], runs=IMPORT_RUNS)
    from_source = cold_imports([source, runtime], runs=IMPORT_RUNS)
    for handler in HANDLERS:
        result.add(
            f"cold import {handler}",
            median(as_shipped[handler]),
            unit="s",
            target=IMPORT_TARGET,
            note=f"bundle as shipped (compiled), boto3 compiled as the runtime provides it; median of "
            f"{IMPORT_RUNS}; bundle from source (no .pyc) {median(from_source[handler]):.3f} s",
        )
    ctx.log(f"  cold imports measured ({IMPORT_RUNS} runs per handler and condition)")

    nights = api_efficiency.two_nights(ctx)
    for number, label in ((1, "night 1 (initial, 30-day window)"), (2, "night 2 (incremental)")):
        result.add(
            f"Spark job peak memory, {label}",
            float(nights[f"spark_peak_mib{number}"]),
            unit="MiB",
            note=f"{nights['preset']} preset; spark-submit process tree (JVM + Python), largest process "
            f"{nights[f'spark_largest_mib{number}']:.0f} MiB; spark.driver.memory=2g",
        )
    result.details = {
        "bundle_bytes_by_distribution": sizes,
        "bundle_bytes": unzipped,
        "zipped_bytes": zipped,
        "runtime_method": runtime_method,
        "runtime_boto3": boto3_version,
        "runtime_bytes_by_distribution_not_in_the_bundle": runtime_sizes,
        "import_seconds_as_shipped": as_shipped,
        "import_seconds_bundle_from_source": from_source,
        "python": sys.version.split()[0],
    }
    return result


def _version(directory: Path, name: str) -> str:
    return next(d.version for d in metadata.distributions(path=[str(directory)]) if _normal(d.name) == name)


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")
