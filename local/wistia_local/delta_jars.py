"""Fetch the Delta Lake jars the template's EMR release ships, once, verified, into the local image folder.

    python -m wistia_local.delta_jars          # what `make setup` runs

Maven (`dependency:copy`, which honours the machine's Maven settings and mirrors) downloads each jar into a
temporary folder; its SHA-256 must equal the pin in `emr_release.py` before it is moved into place under
the name the EMR image gives it. Jars already in place with the right checksum are not fetched again, and
a failed fetch leaves nothing behind. Nothing is resolved when a job runs: spark.jars names these files.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from wistia_local.emr_release import EmrRelease, MavenJar, UnknownEmrRelease, template_release
from wistia_local.errors import CommandError

# A fixed plugin version, so the fetch does not depend on whatever Maven would pick as latest.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"


class DeltaJarsError(CommandError):
    """The jars could not be fetched or verified; the message says what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def missing_jars(release: EmrRelease) -> list[MavenJar]:
    """The release's jars that are absent from its local folder or differ from their pins."""
    folder = release.local_delta_lib
    return [
        jar
        for jar in release.delta_jars
        if not (folder / jar.emr_name).is_file() or sha256_of(folder / jar.emr_name) != jar.sha256
    ]


def require_jars(release: EmrRelease) -> Path:
    """The local Delta folder of the release, or an error saying how to get it."""
    missing = missing_jars(release)
    if missing:
        names = ", ".join(jar.emr_name for jar in missing)
        raise DeltaJarsError(
            f"the Delta jars of {release.label} are missing or damaged in {release.local_delta_lib} "
            f"({names}): run `make setup` (or `.venv/bin/python -m wistia_local.delta_jars`)"
        )
    return release.local_delta_lib


def fetch(release: EmrRelease, *, mvn: str = "mvn") -> list[str]:
    """Put the release's jars in place; returns the names fetched (empty when all were already there)."""
    wanted = missing_jars(release)
    if not wanted:
        return []
    if shutil.which(mvn) is None:
        raise DeltaJarsError(f"`{mvn}` (Apache Maven) is not on PATH: install Maven, then run `make setup`")
    folder = release.local_delta_lib
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="delta-jars-", dir=folder.parent) as scratch:
        downloaded: list[tuple[MavenJar, Path]] = []
        for jar in wanted:
            downloaded.append((jar, _download(jar, Path(scratch), mvn)))
        for jar, path in downloaded:  # all verified before any is moved into place
            path.replace(folder / jar.emr_name)
    return [jar.emr_name for jar in wanted]


def _download(jar: MavenJar, scratch: Path, mvn: str) -> Path:
    target = scratch / jar.coordinates.replace(":", "_")
    command = [
        mvn,
        "--batch-mode",
        "--quiet",
        f"{DEPENDENCY_PLUGIN}:copy",
        f"-Dartifact={jar.coordinates}",
        f"-DoutputDirectory={target}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    files = sorted(target.glob("*.jar")) if target.is_dir() else []
    if result.returncode != 0 or len(files) != 1:
        output = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise DeltaJarsError(
            f"Maven could not fetch {jar.coordinates} (exit {result.returncode}); check that Maven "
            "Central (or your mirror in ~/.m2/settings.xml) is reachable. Maven said:\n" + "\n".join(output)
        )
    actual = sha256_of(files[0])
    if actual != jar.sha256:
        raise DeltaJarsError(
            f"{jar.coordinates} has SHA-256 {actual}, not the pinned {jar.sha256}: the download is not "
            "the artifact this project was tested with; nothing was installed"
        )
    return files[0]


def main() -> int:
    try:
        release = template_release()
        fetched = fetch(release)
    except (DeltaJarsError, UnknownEmrRelease) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    state = f"fetched {', '.join(fetched)}" if fetched else "already in place"
    print(f"Delta jars of {release.label} ({release.delta}): {state} in {release.local_delta_lib}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
