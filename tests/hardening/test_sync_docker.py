"""`sync --apply` against a real engine: never writes outside the project nor through a symlink
(issue 9, item 1); a local edit is never reverted by an older image's copy, and changes on both
sides are conflicts (item 14)."""

from __future__ import annotations

import io
import shutil
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.cli.main import main
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.sync import CONFLICT, LOCAL_MODIFIED, NOT_COPIED, sync_container
from amldebug.project import discover_project

pytestmark = [pytest.mark.docker]

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"
RUN_ID = uuid.uuid4().hex[:8]
LABEL = f"amldebug.test-hard={RUN_ID}"


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    for container in engine.containers_with_label(LABEL.split("=")[0]):
        if container.labels.get(LABEL.split("=")[0]) == RUN_ID:
            container.remove(force=True)
    engine.close()


def image_of(engine: DockerEngine, project: Path, tag: str) -> str:
    """A small image with the project's files in /var/azureml-app, as a debug image has them."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        dockerfile = f"FROM {BASE_IMAGE}\nCOPY app/ /var/azureml-app/\n".encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
        for path in sorted(project.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.add(path, f"app/{path.relative_to(project).as_posix()}")
    buffer.seek(0)
    engine.client.images.build(fileobj=buffer, custom_context=True, tag=tag, rm=True)
    return tag


@pytest.fixture
def images(engine: DockerEngine) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for tag in made:
        engine.remove_image(tag)


def start(engine: DockerEngine, image: str, label: str) -> str:
    name = f"hard-sync-{label}-{RUN_ID}"
    engine.client.containers.run(
        image, ["sleep", "600"], name=name, detach=True, labels={LABEL.split("=")[0]: RUN_ID}
    )
    return name


def in_container(engine: DockerEngine, name: str, script: str) -> None:
    result = engine.exec(name, ["/bin/sh", "-c", script], workdir="/var/azureml-app")
    assert result.exit_code == 0, result.output


def copy_project(tmp_path: Path) -> Path:
    target = tmp_path / "wp"
    shutil.copytree(WORKING, target, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    return target


def test_sync_never_writes_through_a_symlink_out_of_the_project(
    engine: DockerEngine, images: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project_dir = copy_project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "settings.json").write_text("{}")
    images.append(image_of(engine, project_dir, f"hard-sync-image:{RUN_ID}-a"))
    name = start(engine, images[-1], "symlink")
    # What a container with the project mounted (or a cloned repository) can plant locally.
    (project_dir / "link").symlink_to(outside)
    (project_dir / "conf.json").symlink_to(outside / "settings.json")
    in_container(
        engine,
        name,
        "mkdir link && echo KEY > link/authorized_keys && echo pwned > conf.json"
        " && ln -s /etc/passwd passwd-link && echo fine > fixed.py",
    )
    project = discover_project(project_dir)
    result = sync_container(engine, name, project, apply=True, force=True)
    assert list(outside.iterdir()) == [outside / "settings.json"]
    assert (outside / "settings.json").read_text() == "{}"
    assert sorted(r.split(":")[0] for r in result.refused) == ["conf.json", "link/authorized_keys"]
    assert {c.path: c.status for c in result.changed}["passwd-link"] == NOT_COPIED
    assert not (project_dir / "passwd-link").exists()
    assert result.applied == ("fixed.py",)
    assert (project_dir / "fixed.py").read_text() == "fine\n"

    assert main(["sync", str(project_dir), "--name", name, "--apply", "--force"]) == 0
    out = capsys.readouterr().out
    assert "refused         link/authorized_keys: link is a symlink" in out
    assert list(outside.iterdir()) == [outside / "settings.json"]


def test_sync_keeps_a_local_edit_newer_than_the_image_and_flags_conflicts(
    engine: DockerEngine, images: list[str], tmp_path: Path
) -> None:
    project_dir = copy_project(tmp_path)
    (project_dir / "helper.py").write_text("VALUE = 1\n")
    images.append(image_of(engine, project_dir, f"hard-sync-image:{RUN_ID}-b"))
    # Edited locally after the image was built, before the container starts (the case).
    (project_dir / "score.py").write_text("# my local work\n")
    (project_dir / "helper.py").write_text("VALUE = 2  # local\n")
    name = start(engine, images[-1], "baseline")
    in_container(engine, name, "echo 'VALUE = 3  # container' > helper.py && echo n > new.txt")
    (project_dir / "unchanged.txt").write_text("same\n")
    in_container(engine, name, "echo same > unchanged.txt")
    project = discover_project(project_dir)

    result = sync_container(engine, name, project, apply=True)
    statuses = {c.path: c.status for c in result.changed}
    assert statuses["score.py"] == LOCAL_MODIFIED
    assert statuses["helper.py"] == CONFLICT
    assert "unchanged.txt" not in statuses
    assert result.skipped == ("helper.py",)
    assert set(result.applied) == {"new.txt"}
    assert (project_dir / "score.py").read_text() == "# my local work\n"
    assert (project_dir / "helper.py").read_text() == "VALUE = 2  # local\n"

    # A file sync brought in is the new baseline: a later container edit applies without force.
    in_container(engine, name, "echo m >> new.txt")
    again = sync_container(engine, name, project, apply=True)
    assert again.applied == ("new.txt",)
    assert (project_dir / "new.txt").read_text() == "n\nm\n"

    forced = sync_container(engine, name, project, apply=True, force=True)
    assert "helper.py" in forced.applied and "score.py" not in forced.applied
    assert (project_dir / "helper.py").read_text() == "VALUE = 3  # container\n"
    assert (project_dir / "score.py").read_text() == "# my local work\n"
