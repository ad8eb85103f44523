"""5. Footprint: the Lambda bundle's size, each handler's cold import time, the Spark job's peak memory.

- **Bundle**: `pip install --target` of functions/requirements.txt (transitive versions from
  constraints.txt, no bytecode compiled, as SAM's build unpacks wheels) plus `functions/wistia_ingest`,
  which is what `CodeUri: functions/` ships. It holds no boto3: Lambda's python3.11 runtime provides it
  (ADR 0016). Sizes are the files' bytes, per distribution from each `.dist-info/RECORD`, unzipped and
  zipped (deflate); for context, what the bundle would weigh with boto3 and its dependencies in it again.
  The wheels are this machine's platform (x86_64); the stack deploys arm64, whose only binary wheel here
  (pydantic-core) is of similar size. If pip cannot install, the same distributions are measured where
  they are installed in this environment.
- **The runtime's boto3**: boto3 (at its constraints.txt pin, which need not be the runtime's version) and
  its dependencies, installed the same way into a directory of their own, then compiled: the runtime's
  copies come with bytecode.
- **Cold import**: each handler module imported in a fresh interpreter that sees only the standard
  library, the bundle and then the runtime's boto3 (`python -S`, writing no bytecode: `-B`), median of
  several runs. The headline is the bundle from source with boto3 compiled, as Lambda runs it: a SAM zip
  holds no `.pyc` and Lambda's `/var/task` is read-only, so every cold start compiles the bundle. For
  context: boto3 from source too (as when the bundle shipped it), and the bundle compiled beforehand.
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
IMPORT_RUNS = 5
RUNTIME_PROVIDED = ["boto3"]
"""What the handlers import from Lambda's python3.11 runtime instead of the bundle (ADR 0016)."""
PROBE = (
    "import importlib, os, sys, time; sys.path[:0] = sys.argv[1].split(os.pathsep); "
    "started = time.perf_counter(); importlib.import_module(sys.argv[2]); "
    "print(time.perf_counter() - started)"
)


def build_bundle(target: Path) -> str:
    """Install the bundle into `target`; returns how (see `install`)."""
    method = install(target, bundle_requirements())
    shutil.copytree(
        REPO_ROOT / "functions" / "wistia_ingest",
        target / "wistia_ingest",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return method


def bundle_requirements() -> list[str]:
    lines = (REPO_ROOT / "functions" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def install(target: Path, requirements: list[str]) -> str:
    """`pip install --target` of `requirements` (versions from constraints.txt, no bytecode); returns how
    (pip, or copied from this environment if pip could not)."""
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
    """Bytes per distribution (from RECORD), plus the pipeline's own code and anything unaccounted."""
    sizes: dict[str, int] = {}
    accounted: set[Path] = set()
    for record in bundle.glob("*.dist-info/RECORD"):
        name = _normal(record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        total = 0
        for line in record.read_text(encoding="utf-8").splitlines():
            path = (bundle / line.split(",")[0]).resolve()
            if path.is_file() and path not in accounted:
                accounted.add(path)
                total += path.stat().st_size
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
    bundle, runtime = work / "bundle", work / "runtime"
    method = build_bundle(bundle)
    sizes = sizes_by_distribution(bundle)
    unzipped = sum(sizes.values())
    zipped = zipped_bytes(bundle, work / "bundle.zip")
    runtime_method = install(runtime, RUNTIME_PROVIDED)
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
        note=f"largest: {biggest} MB; boto3 comes with Lambda's python3.11 runtime (ADR 0016)",
    )
    result.add("Lambda bundle, zipped", zipped / MB, unit="MB")
    result.add(
        "bundle with boto3 in it (before ADR 0016), unzipped",
        (unzipped + boto3_extra) / MB,
        unit="MB",
        note=f"boto3 {boto3_version} and its dependencies add {boto3_extra / MB:.1f} MB "
        f"(largest: {biggest_added} MB)",
    )
    ctx.log(f"  bundle {unzipped / MB:.1f} MB unzipped ({method}); boto3 {boto3_version} ({runtime_method})")

    boto3_from_source = cold_imports([bundle, runtime], runs=IMPORT_RUNS)
    compileall.compile_dir(str(runtime), quiet=1, workers=1)  # the runtime's copies come with bytecode
    as_deployed = cold_imports([bundle, runtime], runs=IMPORT_RUNS)
    compileall.compile_dir(str(bundle), quiet=1, workers=1)
    with_bytecode = cold_imports([bundle, runtime], runs=IMPORT_RUNS)
    for handler in HANDLERS:
        result.add(
            f"cold import {handler}",
            median(as_deployed[handler]),
            unit="s",
            target=IMPORT_TARGET,
            note=f"bundle from source (no .pyc), boto3 compiled as the runtime provides it; median of "
            f"{IMPORT_RUNS}; boto3 bundled, from source {median(boto3_from_source[handler]):.3f} s; "
            f"everything compiled {median(with_bytecode[handler]):.3f} s",
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
        "bundle_method": method,
        "bundle_bytes_by_distribution": sizes,
        "bundle_bytes": unzipped,
        "zipped_bytes": zipped,
        "runtime_method": runtime_method,
        "runtime_boto3": boto3_version,
        "runtime_bytes_by_distribution_not_in_the_bundle": runtime_sizes,
        "import_seconds_as_deployed": as_deployed,
        "import_seconds_boto3_from_source": boto3_from_source,
        "import_seconds_with_bytecode": with_bytecode,
        "python": sys.version.split()[0],
    }
    return result


def _version(directory: Path, name: str) -> str:
    return next(d.version for d in metadata.distributions(path=[str(directory)]) if _normal(d.name) == name)


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")
