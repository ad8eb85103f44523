"""The EMR release the template deploys is the one local mode reproduces: its Spark for PySpark, its Delta
jars (fetched, verified, never resolved at run time) and its Python for the job's code."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from wistia_local import delta_jars, emr_release
from wistia_local.delta_jars import DeltaJarsError, fetch, missing_jars, require_jars, sha256_of
from wistia_local.emr_release import RELEASES, EmrRelease, MavenJar, template_release
from wistia_local.template import REPO_ROOT

PIN = re.compile(r"^pyspark==(\S+)", re.MULTILINE)


def pinned_pyspark(path: Path) -> str:
    match = PIN.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} pins no pyspark"
    return match.group(1)


def test_the_template_release_is_reproducible_here() -> None:
    release = template_release()

    assert release.delta_jars, "a release local mode runs needs its Delta jars pinned"
    assert {jar.emr_name for jar in release.delta_jars} == {"delta-spark.jar", "delta-storage.jar"}
    for jar in release.delta_jars:
        assert jar.coordinates.endswith(f":{release.delta}")
        assert re.fullmatch(r"[0-9a-f]{64}", jar.sha256)


def test_pyspark_is_pinned_to_the_spark_minor_version_of_the_release() -> None:
    minor = template_release().spark_minor
    for requirements in ("requirements-emr.txt", "requirements.txt", "constraints.txt"):
        version = pinned_pyspark(REPO_ROOT / requirements)
        assert version.startswith(f"{minor}."), (
            f"{requirements} pins pyspark {version}, EMR runs Spark {minor}"
        )


def test_the_template_jar_paths_are_the_ones_the_release_ships() -> None:
    parameters = (REPO_ROOT / "template.yaml").read_text(encoding="utf-8")
    jars = template_release().delta_jars
    expected = ",".join(f"{emr_release.EMR_DELTA_LIB}{jar.emr_name}" for jar in jars)

    assert f"--conf spark.jars={expected}" in parameters


def test_transform_docs_list_every_release_row() -> None:
    docs = (REPO_ROOT / "docs" / "transform.md").read_text(encoding="utf-8")
    for release in RELEASES.values():
        row = f"| {release.label} | {release.spark} | {release.delta} | {release.python} | {release.java} |"
        assert row in docs, f"docs/transform.md lacks the row {row}"


# --- fetching the jars: a stand-in `mvn` that "downloads" given bytes; the verification is the real one ---


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmrRelease:
    monkeypatch.setattr(emr_release, "LOCAL_IMAGE_ROOT", tmp_path / "image")
    jars = tuple(
        MavenJar(f"org.example:{name}:1.0", f"{name}.jar", sha256_of(source))
        for name, source in (
            ("one", write(tmp_path / "one.bin", b"one")),
            ("two", write(tmp_path / "two.bin", b"two")),
        )
    )
    return EmrRelease("emr-test", "3.5.0", "1.0", "3.9", "17", jars)


def write(path: Path, body: bytes) -> Path:
    path.write_bytes(body)
    return path


def fake_mvn(tmp_path: Path, bodies: dict[str, bytes], *, exit_code: int = 0) -> str:
    """A `mvn` that writes the artifact's body into -DoutputDirectory, as dependency:copy does."""
    store = tmp_path / "store"
    store.mkdir(exist_ok=True)
    for coordinates, body in bodies.items():
        (store / coordinates.replace(":", "_")).write_bytes(body)
    script = tmp_path / "mvn"
    script.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do case "$arg" in\n'
        '  -Dartifact=*) artifact=$(echo "${arg#-Dartifact=}" | tr : _);;\n'
        '  -DoutputDirectory=*) out="${arg#-DoutputDirectory=}";;\n'
        "esac; done\n"
        f"[ {exit_code} -eq 0 ] || {{ echo 'Could not resolve artifact' >&2; exit {exit_code}; }}\n"
        'mkdir -p "$out" && cp "' + str(store) + '/$artifact" "$out/$artifact.jar"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_fetch_installs_verified_jars_under_the_emr_names_once(release: EmrRelease, tmp_path: Path) -> None:
    mvn = fake_mvn(tmp_path, {"org.example:one:1.0": b"one", "org.example:two:1.0": b"two"})

    assert fetch(release, mvn=mvn) == ["one.jar", "two.jar"]
    assert sorted(p.name for p in release.local_delta_lib.iterdir()) == ["one.jar", "two.jar"]
    assert require_jars(release) == release.local_delta_lib
    assert fetch(release, mvn="/nonexistent/mvn") == []  # in place and verified: Maven is not asked again


def test_a_download_with_another_checksum_installs_nothing(release: EmrRelease, tmp_path: Path) -> None:
    mvn = fake_mvn(tmp_path, {"org.example:one:1.0": b"one", "org.example:two:1.0": b"tampered"})

    with pytest.raises(DeltaJarsError, match=r"org\.example:two:1\.0 has SHA-256 .* not the pinned"):
        fetch(release, mvn=mvn)
    assert [p.name for p in release.local_delta_lib.iterdir()] == []
    assert [jar.emr_name for jar in missing_jars(release)] == ["one.jar", "two.jar"]


def test_a_damaged_jar_is_fetched_again(release: EmrRelease, tmp_path: Path) -> None:
    mvn = fake_mvn(tmp_path, {"org.example:one:1.0": b"one", "org.example:two:1.0": b"two"})
    fetch(release, mvn=mvn)
    (release.local_delta_lib / "two.jar").write_bytes(b"truncated")

    with pytest.raises(DeltaJarsError, match=r"missing or damaged .* \(two\.jar\): run `make setup`"):
        require_jars(release)
    assert fetch(release, mvn=mvn) == ["two.jar"]


def test_maven_failures_and_a_missing_maven_say_what_to_do(release: EmrRelease, tmp_path: Path) -> None:
    with pytest.raises(
        DeltaJarsError, match=r"Maven could not fetch org\.example:one:1\.0 \(exit 1\).*reachable"
    ):
        fetch(release, mvn=fake_mvn(tmp_path, {}, exit_code=1))
    with pytest.raises(DeltaJarsError, match=r"`no-such-mvn` \(Apache Maven\) is not on PATH"):
        fetch(release, mvn="no-such-mvn")
    assert not any(release.local_delta_lib.iterdir())


def test_the_command_reports_and_exits_non_zero_on_failure(
    release: EmrRelease, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(delta_jars, "template_release", lambda: release)
    monkeypatch.setattr(delta_jars, "fetch", lambda release: (_ for _ in ()).throw(DeltaJarsError("offline")))

    assert delta_jars.main() == 1
    assert capsys.readouterr().err == "error: offline\n"


def test_an_unknown_release_names_the_file_to_extend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emr_release, "template_release_label", lambda: "emr-9.9.9")

    with pytest.raises(emr_release.UnknownEmrRelease, match=r"emr-9\.9\.9.*emr_release\.py"):
        template_release()


def test_the_real_jars_are_in_place_after_setup() -> None:
    """`make setup` ran before the tests: the template release's jars are there and verified."""
    release = template_release()

    assert require_jars(release) == release.local_delta_lib
