"""Package the Spark job as EMR Serverless runs it: the entry point, and the package zipped for --py-files.

    python3 spark/package_job.py OUT_DIR    # writes OUT_DIR/entrypoint.py and OUT_DIR/wistia_spark.zip

The deploy script uploads these two files; local mode uploads them to its artifacts bucket, so both run the
same bytes. The zip is deterministic (sorted entries, fixed timestamps, sources only): the same sources give
the same archive. Standard library only; runs on any Python 3.9+.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

SPARK_DIR = Path(__file__).resolve().parent
PACKAGE = "wistia_spark"
ENTRY_POINT_NAME = "entrypoint.py"
ZIP_NAME = f"{PACKAGE}.zip"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def build(out_dir: Path) -> tuple[Path, Path]:
    """Write the entry point and the package zip into `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    entry_point = out_dir / ENTRY_POINT_NAME
    shutil.copyfile(SPARK_DIR / ENTRY_POINT_NAME, entry_point)
    archive = out_dir / ZIP_NAME
    sources = sorted(path for path in (SPARK_DIR / PACKAGE).rglob("*.py") if "__pycache__" not in path.parts)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        # --py-files puts the zip on the path: its top level must be the package.
        for path in sources:
            info = zipfile.ZipInfo(path.relative_to(SPARK_DIR).as_posix(), date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, path.read_bytes())
    return entry_point, archive


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: package_job.py OUT_DIR", file=sys.stderr)
        return 2
    for path in build(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
