"""Files a project names are read through the guarded reader everywhere: analysis, the image build,
`k8s-status` (issue 9, item 3: `conda_file: /dev/zero` or `/dev/stdin` or a FIFO)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from amldebug.analysis.context import read_text_from_disk
from amldebug.containers.dockerfile import BuildOptions, plan_debug_image
from amldebug.errors import AmlDebugError
from amldebug.project import discover_project

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"


def finishes(function: Callable[[], Any], seconds: float = 5.0) -> Any:
    """The result of `function`, failing (not hanging) when it does not return in time."""
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed to the test thread
            outcome["error"] = error

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "blocked or reading without end"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_analysis_does_not_read_dev_zero():
    assert finishes(lambda: read_text_from_disk(Path("/dev/zero"))) is None


def test_analysis_does_not_block_on_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "conda.yml")
    assert finishes(lambda: read_text_from_disk(tmp_path / "conda.yml")) is None


def test_analysis_strips_a_bom_from_sibling_files(tmp_path):
    (tmp_path / "conda.yml").write_bytes(b"\xef\xbb\xbfname: x\n")
    assert read_text_from_disk(tmp_path / "conda.yml") == "name: x\n"


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_the_image_build_refuses_a_conda_file_that_is_not_a_file(tmp_path, kind):
    project_dir = tmp_path / "wp"
    shutil.copytree(WORKING, project_dir)
    conda = project_dir / "conda.yml"
    conda.unlink()
    if kind == "fifo":
        os.mkfifo(conda)
    else:
        conda.symlink_to("/dev/zero")
    project = discover_project(project_dir, conda_file=conda)

    def plan() -> Any:
        return plan_debug_image(project, BuildOptions(base_image="base:1"))

    with pytest.raises(AmlDebugError, match="not a regular file"):
        finishes(plan)
