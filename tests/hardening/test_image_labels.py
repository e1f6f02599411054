"""The debug image does not record the host path of the project (issue 9, smaller findings): an
image can be pushed or handed on, and the path names the user and their folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amldebug.containers.build import build_debug_image
from amldebug.containers.dockerfile import LABEL_PROJECT, BuildOptions
from amldebug.project import discover_project


class RecordingEngine:
    """The engine calls of a build, recorded; the build itself succeeds at once."""

    def __init__(self) -> None:
        self.builds: list[dict[str, Any]] = []

    def emulation_warning_once(self) -> None:
        return None

    def image_exists(self, reference: str) -> bool:
        return True

    def image_platform(self, reference: str) -> tuple[str, str]:
        return ("linux", "amd64")

    def build(self, context, *, tag: str, labels: dict[str, str] | None = None):
        self.builds.append({"tag": tag, "labels": dict(labels or {}), "context": context.read()})
        return iter([{"stream": "Step 1/1 : FROM base\n"}, {"aux": {"ID": "sha256:built"}}])

    def image_id(self, reference: str) -> str:
        return "sha256:built"


def test_the_image_labels_carry_no_host_path(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("AMLDEBUG_INSTALLER", "pip")
    root = tmp_path / "alice-secret-client" / "scoring"
    root.mkdir(parents=True)
    (root / "score.py").write_text("def init():\n    pass\n\n\ndef run(d):\n    return d\n")
    (root / "conda.yml").write_text("dependencies:\n  - python=3.11\n")
    engine = RecordingEngine()
    options = BuildOptions(base_image="base:1", tag="debug:1", base_user="")
    build_debug_image(discover_project(root), options, engine)  # type: ignore[arg-type]
    [build] = engine.builds
    # The project label is the Dockerfile's one LABEL step (build.py passes no extra labels).
    assert f'{LABEL_PROJECT}="scoring"'.encode() in build["context"] or (
        f"{LABEL_PROJECT}=scoring".encode() in build["context"]
    )
    assert str(tmp_path).encode() not in build["context"]  # nor in the Dockerfile's LABELs
    assert all("alice-secret-client" not in value for value in build["labels"].values())
