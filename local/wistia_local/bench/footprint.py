"""5. Footprint: the Lambda bundle's size, each handler's cold import time, the Spark job's peak memory.

- **Bundle**: `pip install --target` of functions/requirements.txt (transitive versions from
  constraints.txt, no bytecode compiled, as SAM's build unpacks wheels) plus `functions/wistia_ingest`,
  which is what `CodeUri: functions/` ships. Sizes are the files' bytes, per distribution from each
  `.dist-info/RECORD`, unzipped and zipped (deflate). The wheels are this machine's platform (x86_64);
  the stack deploys arm64, whose only binary wheel here (pydantic-core) is of similar size. If pip cannot
  install, the same distributions are measured where they are installed in this environment.
- **Cold import**: each handler module imported in a fresh interpreter that sees only the standard
  library and the bundle (`python -S`), median of several runs, in two conditions: from source with no
  bytecode written (`-B`; a SAM zip holds no `.pyc` and Lambda's `/var/task` is read-only, so every cold
  start compiles), and with bytecode compiled into the bundle beforehand.
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
# What Lambda's python3.11 runtime already provides (boto3 and what it pulls in).
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
PROBE = (
    "import importlib, os, sys, time; sys.path[:0] = sys.argv[1].split(os.pathsep); "
    "started = time.perf_counter(); importlib.import_module(sys.argv[2]); "
    "print(time.perf_counter() - started)"
)


def build_bundle(target: Path) -> str:
    """Install the bundle into `target`; returns how (pip, or 'environment' if pip could not)."""
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(target), "-r", str(REPO_ROOT / "functions" / "requirements.txt"),
        "-c", str(REPO_ROOT / "constraints.txt"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed command
    method = "pip install --target"
    if done.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        copy_installed_distributions(target)
        method = f"copied from this environment (pip failed: {done.stderr.strip().splitlines()[-1:]})"
    shutil.copytree(
        REPO_ROOT / "functions" / "wistia_ingest",
        target / "wistia_ingest",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return method


def requirement_names() -> list[str]:
    lines = (REPO_ROOT / "functions" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("==")[0].strip() for line in lines if line.strip() and not line.startswith("#")]


def copy_installed_distributions(target: Path) -> None:
    """The fallback: the requirements and their dependency closure, as installed here."""
    todo, seen = requirement_names(), set[str]()
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


def split_off_runtime_provided(bundle: Path, lean: Path, runtime: Path) -> None:
    """Copy the bundle to `lean` without the distributions Lambda's runtime provides, and those to
    `runtime`, compiled (the runtime's own copies come with bytecode)."""
    shutil.copytree(bundle, lean)
    for record in lean.glob("*.dist-info/RECORD"):
        name = _normal(record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        if name not in RUNTIME_PROVIDED:
            continue
        for line in record.read_text(encoding="utf-8").splitlines():
            relative = line.split(",")[0]
            source = lean / relative
            if relative and ".." not in Path(relative).parts and source.is_file():
                (runtime / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(source, runtime / relative)
    compileall.compile_dir(str(runtime), quiet=1, workers=1)


def import_seconds(paths: list[Path], module: str, *, write_bytecode: bool) -> float:
    flags = ["-S"] if write_bytecode else ["-S", "-B"]
    search = os.pathsep.join(str(path) for path in paths)
    done = subprocess.run(  # noqa: S603 - our interpreter, a fixed probe
        [sys.executable, *flags, "-c", PROBE, search, module],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"},
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {module} from the bundle failed: {done.stderr[-1500:]}")
    return float(done.stdout.strip().splitlines()[-1])


def cold_imports(paths: list[Path], *, write_bytecode: bool, runs: int) -> dict[str, list[float]]:
    measured: dict[str, list[float]] = {handler: [] for handler in HANDLERS}
    for _ in range(runs):  # handlers interleaved, so a busy moment on the machine is shared out
        for handler in HANDLERS:
            module = f"wistia_ingest.handlers.{handler}"
            measured[handler].append(import_seconds(paths, module, write_bytecode=write_bytecode))
    return measured


def run(ctx: BenchContext) -> BenchResult:
    result = BenchResult(NAME)
    work = ctx.workdir("footprint")
    bundle = work / "bundle"
    method = build_bundle(bundle)
    sizes = sizes_by_distribution(bundle)
    unzipped = sum(sizes.values())
    zipped = zipped_bytes(bundle, work / "bundle.zip")
    provided = sum(size for name, size in sizes.items() if name in RUNTIME_PROVIDED)
    biggest = ", ".join(f"{name} {size / MB:.1f}" for name, size in list(sizes.items())[:3])
    result.add(
        "Lambda bundle, unzipped", unzipped / MB, unit="MB", target=SIZE_TARGET, note=f"largest: {biggest} MB"
    )
    result.add("Lambda bundle, zipped", zipped / MB, unit="MB")
    result.add(
        "bundle without what the runtime provides",
        (unzipped - provided) / MB,
        unit="MB",
        note="boto3, botocore and their dependencies come with Lambda's python3.11 runtime",
    )
    ctx.log(f"  bundle {unzipped / MB:.1f} MB unzipped ({method})")

    split_off_runtime_provided(bundle, work / "lean", work / "runtime")
    source = cold_imports([bundle], write_bytecode=False, runs=IMPORT_RUNS)
    lean = cold_imports([work / "lean", work / "runtime"], write_bytecode=False, runs=IMPORT_RUNS)
    compileall.compile_dir(str(bundle), quiet=1, workers=1)
    cached = cold_imports([bundle], write_bytecode=True, runs=IMPORT_RUNS)
    for handler in HANDLERS:
        result.add(
            f"cold import {handler}",
            median(source[handler]),
            unit="s",
            target=IMPORT_TARGET,
            note=f"from source (no .pyc), median of {IMPORT_RUNS}; with bytecode "
            f"{median(cached[handler]):.3f} s; boto3 from the runtime {median(lean[handler]):.3f} s",
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
        "runtime_provided": sorted(RUNTIME_PROVIDED),
        "import_seconds_from_source": source,
        "import_seconds_with_bytecode": cached,
        "import_seconds_boto3_from_the_runtime": lean,
        "python": sys.version.split()[0],
    }
    return result


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")
