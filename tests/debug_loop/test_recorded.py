"""How a container was asked for, recorded on it for `update` (issue 9, item 16): options kept,
env values and host paths never in the label."""

from __future__ import annotations

import json
from pathlib import Path

from amldebug.debug_loop.options import request_for, request_from_lsp
from amldebug.debug_loop.recorded import (
    LABEL_REQUEST,
    recorded_values,
    request_label,
    with_recorded,
)
from amldebug.debug_loop.runtime import settings_for
from amldebug.project import discover_project


def _project(tmp_path: Path):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "score.py").write_text(
        "def init():\n    pass\n\n\ndef run(data):\n    return data\n"
    )
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "conda.yml").write_text("dependencies:\n  - python=3.11\n")
    return discover_project(tmp_path)


def test_the_label_keeps_the_run_options_and_no_secret_or_host_path(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    outside = tmp_path / "elsewhere" / "ca.pem"
    request = request_for(
        "up",
        folder=str(project.root),
        mount=False,
        env={"API_KEY": "hush-123", "MODE": "plain-value-xyz"},
        tag="amldebug-applayer/t:1",
        port=18110,
        debug_port=18111,
        gpus=True,
        conda_file=str(project.root / "env" / "conda.yml"),
        ca_bundle=str(outside),
    )
    (label,) = request_label(request, project).items()
    assert label[0] == LABEL_REQUEST
    assert "hush-123" not in label[1] and "plain-value-xyz" not in label[1]
    assert str(tmp_path) not in label[1]
    record = json.loads(label[1])
    assert record["env"] == ["API_KEY", "MODE"]
    assert record["conda_file"] == "env/conda.yml"
    assert "ca_bundle" not in record  # a host path: the user names it again
    assert (record["mount"], record["gpus"], record["port"], record["tag"]) == (
        False,
        True,
        18110,
        "amldebug-applayer/t:1",
    )
    assert "name" not in record and "runtime" not in record and "json" not in record


def test_update_takes_the_recorded_values_it_was_not_given_and_env_values_from_the_container(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    first = request_for(
        "up",
        mount=False,
        env={"API_KEY": "hush-123"},
        port=18112,
        gpus=True,
        ca_bundle="auto",
        conda_file=str(project.root / "env" / "conda.yml"),
    )
    labels = request_label(first, project)
    # The container's own environment holds the value (and more the label does not name).
    environment = {"API_KEY": "hush-123", "PATH": "/usr/bin", "AML_APP_ROOT": "/var/azureml-app"}
    recorded = recorded_values(labels, environment, project.root)
    assert recorded["env"] == {"API_KEY": "hush-123"}
    assert recorded["conda_file"] == str(project.root / "env" / "conda.yml")
    assert recorded["ca_bundle"] == "auto"

    again = request_from_lsp("update", {"port": 18120, "env": {"EXTRA": "1"}})
    merged = with_recorded(again, recorded)
    assert merged.port == 18120  # given now: wins
    assert (merged.mount, merged.gpus, merged.ca_bundle) == (False, True, "auto")
    assert merged.env == {"API_KEY": "hush-123", "EXTRA": "1"}


def test_a_container_without_a_readable_record_keeps_nothing(tmp_path: Path) -> None:
    assert recorded_values({}, {}, tmp_path) == {}
    assert recorded_values({LABEL_REQUEST: "{not json"}, {}, tmp_path) == {}
    assert recorded_values({LABEL_REQUEST: '{"version": 99}'}, {}, tmp_path) == {}


def test_gpus_from_the_editor_reach_the_run_settings() -> None:
    """`amldebug.up` / `amldebug.run` take `gpus` from the option table (issue 12, GPU images)."""
    for verb in ("up", "run"):
        request = request_from_lsp(verb, {"gpus": True})
        assert settings_for(request, image="debug:1").gpus is True
    assert settings_for(request_from_lsp("run", {}), image="debug:1").gpus is False
