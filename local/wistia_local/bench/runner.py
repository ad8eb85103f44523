"""Run the benchmarks, print each figure against its target, and write the run's JSON and Markdown.

One run measures everything on one machine in one go, so the ratios compare like with like. The results
file records the machine (CPU, memory, load average before and after), the versions and the commit.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from wistia_local.bench import api_efficiency, end_to_end, footprint, incremental_cost, local_jvm, rate_limit
from wistia_local.bench.harness import BenchContext, Log
from wistia_local.bench.report import BenchResult, markdown_table, write_results
from wistia_local.template import REPO_ROOT

# Run order: the standard preset's nights first (footprint reuses them), then Spark (in this process, then
# in child sessions).
BENCHMARKS: dict[str, Callable[[BenchContext], BenchResult]] = {
    api_efficiency.NAME: api_efficiency.run,
    footprint.NAME: footprint.run,
    rate_limit.NAME: rate_limit.run,
    end_to_end.NAME: end_to_end.run,
    incremental_cost.NAME: incremental_cost.run,
    local_jvm.NAME: local_jvm.run,
}
DEFAULT_OUT = REPO_ROOT / "bench" / "results"


def run_benchmarks(
    names: list[str], *, quick: bool, scratch: Path, out_dir: Path, log: Log = print
) -> tuple[list[BenchResult], Path]:
    started = dt.datetime.now(dt.UTC)
    machine = machine_info()
    ctx = BenchContext(quick=quick, scratch=scratch, log=log)
    results: list[BenchResult] = []
    for name in [name for name in BENCHMARKS if name in names]:
        log(f"{name} ...")
        began = time.monotonic()
        try:
            result = BENCHMARKS[name](ctx)
        except Exception as exc:  # one failing benchmark must not hide the others
            result = BenchResult(name, error=f"{type(exc).__name__}: {exc}")
            log(traceback.format_exc())
        result.seconds = time.monotonic() - began
        log(f"{name}: {'error' if result.error else 'done'} in {result.seconds:.0f} s")
        results.append(result)
    machine["load_average_after"] = os.getloadavg()
    payload: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "quick": quick,
        "benchmarks": names,
        "machine": machine,
        "results": [result.to_json() for result in results],
        "table": markdown_table(results),
    }
    stem = results_stem(started, names, quick=quick)
    path = write_results(out_dir / f"{stem}.json", payload)
    (out_dir / f"{stem}.md").write_text(_markdown(payload), encoding="utf-8")
    return results, path


def results_stem(started: dt.datetime, names: list[str], *, quick: bool) -> str:
    """`<date>` for a full run; a partial or quick run says so, so it never overwrites the full one."""
    stem = started.strftime("%Y-%m-%d")
    if set(names) != set(BENCHMARKS):
        stem += "-" + "-".join(name for name in BENCHMARKS if name in names)
    return stem + ("-quick" if quick else "")


def machine_info() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_gib": round(_mem_total_kib() / 1024 / 1024, 1),
        "load_average_before": os.getloadavg(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "pyspark": _version("pyspark"),
        "deltalake": _version("deltalake"),
        "moto": _version("moto"),
        "java": _java_version(),
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain")),
    }


def _markdown(payload: dict[str, Any]) -> str:
    machine = payload["machine"]
    return (
        f"# Benchmarks, {payload['started']}{' (quick)' if payload['quick'] else ''}\n\n"
        f"Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
        f"load average {_load(machine['load_average_before'])} before and "
        f"{_load(machine['load_average_after'])} after; "
        f"Python {machine['python']}, PySpark {machine['pyspark']}, Java {machine['java']}; commit "
        f"{machine['commit']}{' with uncommitted changes' if machine['uncommitted_changes'] else ''}.\n\n"
        + str(payload["table"])
    )


def _load(values: Any) -> str:
    return "/".join(f"{value:.1f}" for value in values)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_kib() -> int:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _java_version() -> str | None:
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False, timeout=30)  # noqa: S607
    except (OSError, subprocess.SubprocessError):
        return None
    first = (done.stderr or done.stdout).strip().splitlines()
    return first[0] if first else None


def _git(*arguments: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603
            ["git", *arguments],  # noqa: S607 - git from PATH, as a developer runs it
            capture_output=True,
            text=True,
            check=False,
            cwd=REPO_ROOT,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()
