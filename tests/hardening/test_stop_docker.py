"""`stop` removes only what amldebug made (issue 9, item 7), keeps an image another container uses
and says so (item 16), and names a missing container (the smaller findings)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.cli.main import main
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import LABEL_BUILT
from amldebug.containers.stop import LABEL_RUNTIME

pytestmark = [pytest.mark.docker]

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    for entry in engine.client.containers.list(all=True, filters={"name": "hard-stop-"}):
        if RUN_ID in entry.name:
            entry.remove(force=True)
    for tag in engine.image_tags():
        if tag.startswith("hard-stop-") and RUN_ID in tag:
            engine.remove_image(tag)
    engine.close()


def tagged(engine: DockerEngine, tag: str, *, ours: bool) -> str:
    """A cheap image: the base image re-tagged, or with our label added (a tiny build)."""
    if not ours:
        engine.tag(BASE_IMAGE, tag)
        return tag
    import io
    import tarfile

    dockerfile = f'FROM {BASE_IMAGE}\nLABEL {LABEL_BUILT}="1"\n'.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
    buffer.seek(0)
    engine.client.images.build(fileobj=buffer, custom_context=True, tag=tag, rm=True)
    return tag


def container(engine: DockerEngine, image: str, label: str, *, ours: bool) -> str:
    name = f"hard-stop-{label}-{RUN_ID}"
    labels = {LABEL_RUNTIME: "docker"} if ours else {}
    engine.client.containers.run(image, ["sleep", "600"], name=name, detach=True, labels=labels)
    return name


def test_a_container_amldebug_did_not_start_is_left_alone(engine, capsys):
    name = container(engine, BASE_IMAGE, "foreign", ours=False)
    assert main(["stop", "--name", name, "--image"]) == 1
    assert "not started by amldebug" in capsys.readouterr().err
    assert engine.find_container(name) is not None
    assert engine.image_exists(BASE_IMAGE)
    assert main(["stop", "--name", name, "--force"]) == 0
    assert engine.find_container(name) is None
    assert engine.image_exists(BASE_IMAGE)


def test_an_image_amldebug_did_not_build_is_kept_without_force(engine, capsys):
    image = tagged(engine, f"hard-stop-foreign:{RUN_ID}", ours=False)
    name = container(engine, image, "ours-on-foreign", ours=True)
    assert main(["stop", "--name", name, "--image"]) == 1
    assert f"The image {image} was not built by amldebug" in capsys.readouterr().err
    assert engine.find_container(name) is not None and engine.image_exists(image)
    assert main(["stop", "--name", name, "--image", "--force"]) == 0
    assert not engine.image_exists(image)
    assert engine.image_exists(BASE_IMAGE)


def test_our_image_goes_unless_another_container_uses_it(engine, capsys):
    image = tagged(engine, f"hard-stop-ours:{RUN_ID}", ours=True)
    first = container(engine, image, "first", ours=True)
    second = container(engine, image, "second", ours=True)
    assert main(["stop", "--name", first, "--image"]) == 0
    out = capsys.readouterr().out
    assert f"Kept the image {image}: still used by {second}." in out
    assert "Removed the image" not in out
    assert engine.image_exists(image)
    assert main(["stop", "--name", second, "--image"]) == 0
    assert f"Removed the image {image}." in capsys.readouterr().out
    assert not engine.image_exists(image)


def test_stop_of_a_missing_container_says_so(engine, capsys):
    assert main(["stop", "--name", f"hard-stop-missing-{RUN_ID}", "--image"]) == 1
    assert "There is no container named" in capsys.readouterr().err
