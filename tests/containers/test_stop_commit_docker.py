"""`stop --image` says what the engine did, and `commit` numbers snapshots where its help says
(issue 9, item 16), against the real engine.

Removing an image that has another tag, or that images built on it (a commit) still need, only
untags it: `stop` used to say "Removed the image" all the same. `commit` without a tag continued
the running image's numbered tag even for someone else's image (`python:3` -> `python:4`).
"""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterator

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.cli.main import main
from amldebug.containers.container_labels import LABEL_RUNTIME
from amldebug.containers.debug_images import default_commit_repository
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import LABEL_BUILT
from amldebug.containers.run import commit_container

pytestmark = [pytest.mark.docker]

RUN_ID = uuid.uuid4().hex[:8]
REPOSITORY = "amldebug-runtimes/stop"


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    for entry in engine.client.containers.list(all=True, filters={"name": f"runtimes-{RUN_ID}"}):
        entry.remove(force=True)
    for tag in engine.image_tags():
        if tag.startswith("amldebug-runtimes/") and RUN_ID in tag:
            engine.remove_image(tag)
    engine.close()


def our_image(engine: DockerEngine, tag: str) -> str:
    """A cheap image amldebug "built": the base image with our label (a one-line build)."""
    dockerfile = f'FROM {BASE_IMAGE}\nLABEL {LABEL_BUILT}="1" runtimes.test="{tag}"\n'.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
    buffer.seek(0)
    engine.client.images.build(fileobj=buffer, custom_context=True, tag=tag, rm=True)
    return tag


def our_container(engine: DockerEngine, image: str, label: str) -> str:
    name = f"runtimes-{RUN_ID}-{label}"
    engine.client.containers.run(
        image, ["sleep", "600"], name=name, detach=True, labels={LABEL_RUNTIME: "docker"}
    )
    return name


def test_stop_image_with_another_tag_says_it_only_untagged(engine, capsys):
    image = our_image(engine, f"{REPOSITORY}-a:{RUN_ID}")
    alias = f"{REPOSITORY}-alias:{RUN_ID}"
    engine.tag(image, alias)
    name = our_container(engine, image, "alias")

    assert main(["stop", "--name", name, "--image"]) == 0

    out = capsys.readouterr().out
    assert "Removed the image" not in out
    assert f"Untagged {image}; the image itself stays: it is also tagged {alias}." in out
    assert engine.image_exists(alias) and not engine.image_exists(image)


def test_stop_image_that_a_commit_builds_on_names_the_commit_and_its_container(engine, capsys):
    image = our_image(engine, f"{REPOSITORY}-parent:{RUN_ID}")
    first = our_container(engine, image, "parent")
    child = commit_container(engine, first, f"{REPOSITORY}-child:{RUN_ID}")
    second = our_container(engine, child, "child")

    assert main(["stop", "--name", first, "--image"]) == 0

    out = capsys.readouterr().out
    assert "Removed the image" not in out
    assert (
        f"Untagged {image}; the image itself stays: images built on it need its layers: "
        f"{child} (used by {second})." in out
    )
    assert main(["stop", "--name", second, "--image"]) == 0
    assert f"Removed the image {child}." in capsys.readouterr().out


def test_stop_image_nobody_else_needs_removes_it(engine, capsys):
    image = our_image(engine, f"{REPOSITORY}-alone:{RUN_ID}")
    image_id = engine.image_id(image)
    name = our_container(engine, image, "alone")
    assert main(["stop", "--name", name, "--image"]) == 0
    assert f"Removed the image {image}." in capsys.readouterr().out
    assert image_id not in {i.id for i in engine.client.images.list(all=True)}


def test_commit_without_a_tag_never_continues_someone_elses_numbered_tag(engine):
    foreign = f"amldebug-runtimes/foreign-{RUN_ID}:7"  # as `python:3` would be
    engine.tag(BASE_IMAGE, foreign)
    name = our_container(engine, foreign, "foreign")
    committed = commit_container(engine, name)
    try:
        assert committed.startswith("debug:") and committed.split(":")[1].isdigit()
    finally:
        engine.remove_image(committed)
    assert not engine.image_exists(f"amldebug-runtimes/foreign-{RUN_ID}:8")


def test_commit_without_a_tag_numbers_after_an_image_amldebug_built(engine):
    image = our_image(engine, f"amldebug-runtimes/proj-{RUN_ID}:3")
    name = our_container(engine, image, "proj")
    assert commit_container(engine, name) == f"amldebug-runtimes/proj-{RUN_ID}:4"


@pytest.mark.parametrize(
    ("running", "built_by_us", "repository"),
    [
        ("debug:2", True, "debug"),
        ("proj:3", True, "proj"),
        ("localhost:5000/team/proj:3", True, "localhost:5000/team/proj"),
        ("python:3", False, "debug"),
        ("proj:latest", True, "debug"),
        ("localhost:5000/proj", True, "debug"),
        ("", False, "debug"),
    ],
)
def test_default_commit_repository(running: str, built_by_us: bool, repository: str) -> None:
    assert default_commit_repository(running, built_by_us) == repository
