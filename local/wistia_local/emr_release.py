"""What the EMR Serverless release named in template.yaml runs, so the job can be run here the same way.

The versions come from AWS's release guide ("Application versions in Amazon EMR 7.x releases", "Delta
release history"). EMR ships Amazon builds of Delta (`3.3.2-amzn-1`); the nearest artifacts Maven Central
has are the open-source jars of the same version, pinned here by SHA-256 so a fetch is verified. A
release without pinned jars cannot be reproduced locally: add its row (and the checksums of the jars, read
from Maven Central's `.sha256`/`.sha1` files and checked by hand) before switching the template to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wistia_local.errors import CommandError
from wistia_local.template import REPO_ROOT, load_template

# Where EMR Serverless images keep the Delta jars; the template's spark.jars points here.
EMR_DELTA_LIB = "/usr/share/aws/delta/lib/"
# The ignored folder that stands in for the image's filesystem: <root>/<label>/usr/share/aws/delta/lib/.
LOCAL_IMAGE_ROOT = REPO_ROOT / ".emr"


@dataclass(frozen=True)
class MavenJar:
    """One jar EMR ships, as Maven Central has it, and the file name the EMR image gives it."""

    coordinates: str  # group:artifact:version
    emr_name: str
    sha256: str


@dataclass(frozen=True)
class EmrRelease:
    label: str
    spark: str
    delta: str
    python: str  # the job's default Python (3.11 can be chosen with a custom image)
    java: str
    delta_jars: tuple[MavenJar, ...] = ()

    @property
    def spark_minor(self) -> str:
        return ".".join(self.spark.split(".")[:2])

    @property
    def local_delta_lib(self) -> Path:
        """The folder standing in for EMR_DELTA_LIB: the jars under the names the image gives them."""
        return LOCAL_IMAGE_ROOT / self.label / EMR_DELTA_LIB.strip("/")


_DELTA_3_3_2 = (
    MavenJar(
        "io.delta:delta-spark_2.12:3.3.2",
        "delta-spark.jar",
        "4e92085d5d794cf949c50bb665b91384857cad58680c2d0bfc9c7ad353e98e85",
    ),
    MavenJar(
        "io.delta:delta-storage:3.3.2",
        "delta-storage.jar",
        "c096975a2ca97ccc9b4005aa5cce16c9ac3903139d340da6665b66ace67d7c36",
    ),
)

# Newest first. Only releases with jars can be run here; the others are listed for the docs' table.
RELEASES: dict[str, EmrRelease] = {
    release.label: release
    for release in (
        EmrRelease("emr-7.12.0", "3.5.6", "3.3.2", "3.9", "17", _DELTA_3_3_2),
        EmrRelease("emr-7.10.0", "3.5.5", "3.3.0", "3.9", "17"),
        EmrRelease("emr-7.9.0", "3.5.5", "3.3.0", "3.9", "17"),
        EmrRelease("emr-7.8.0", "3.5.4", "3.3.0", "3.9", "17"),
        EmrRelease("emr-7.0.0", "3.5.0", "3.0.0", "3.9", "17"),
    )
}


class UnknownEmrRelease(CommandError):
    """The template names a release local mode has no row (or no jars) for."""


def template_release_label() -> str:
    """The `EmrReleaseLabel` parameter's default in template.yaml: the release every deploy runs."""
    return str(load_template()["Parameters"]["EmrReleaseLabel"]["Default"])


def template_release() -> EmrRelease:
    label = template_release_label()
    release = RELEASES.get(label)
    if release is None or not release.delta_jars:
        raise UnknownEmrRelease(
            f"template.yaml runs {label}, which local mode cannot reproduce: add its versions and "
            "Delta jar checksums to local/wistia_local/emr_release.py (see its docstring)"
        )
    return release
