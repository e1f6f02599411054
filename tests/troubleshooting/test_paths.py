"""Tracebacks in container logs mapped to the local project."""

from __future__ import annotations

from pathlib import Path

from conftest import read_log

from amldebug.troubleshooting.paths import container_to_local, find_tracebacks, map_traceback


def test_init_traceback_maps_to_the_local_entry_script(project: Path):
    traceback = map_traceback(read_log("azmlinfsrv-init-raises.log"), project)
    assert traceback is not None
    assert traceback.exception == "RuntimeError: could not load the model: weights are corrupt"
    assert (
        traceback.final_exception is not None and "UserScriptException" in traceback.final_exception
    )
    assert traceback.last_entry_script_frame == (project / "score.py", 10)
    assert (
        traceback.last_app_frame is not None and traceback.last_app_frame.function == "load_model"
    )
    assert (
        traceback.last_app_frame.source
        == 'raise RuntimeError("could not load the model: weights are corrupt")'
    )
    local = [f for f in traceback.frames if f.local_path is not None]
    assert [(f.line, f.function) for f in local] == [(6, "init"), (10, "load_model")]
    assert all(f.local_path is None for f in traceback.frames if "site-packages" in f.path)
    assert (
        traceback.summary()
        == "RuntimeError: could not load the model: weights are corrupt at score.py:10"
    )


def test_without_a_project_the_container_path_is_kept():
    traceback = map_traceback(read_log("azmlinfsrv-init-raises.log"))
    assert traceback is not None
    assert traceback.last_entry_script_frame == ("/var/azureml-app/score.py", 10)


def test_code_uploaded_from_a_subfolder_maps_into_it(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text(
        "def init():\n    pass\n\ndef run(data):\n    return data\n"
    )
    (tmp_path / "src" / "features.py").write_text("x = 1\n")
    assert (
        container_to_local("/var/azureml-app/src/score.py", tmp_path)
        == tmp_path / "src" / "score.py"
    )
    assert (
        container_to_local("/var/azureml-app/code/src/features.py", tmp_path)
        == tmp_path / "src" / "features.py"
    )
    assert container_to_local("/var/azureml-app/missing.py", tmp_path) is None
    assert container_to_local("/usr/lib/python3.11/json/__init__.py", tmp_path) is None


def test_local_process_paths_inside_the_project_map_to_themselves(project: Path):
    text = (
        "Traceback (most recent call last):\n"
        f'  File "{project}/score.py", line 6, in init\n'
        "    model = load_model()\n"
        "ValueError: bad\n"
    )
    traceback = map_traceback(text, project)
    assert traceback is not None and traceback.last_entry_script_frame == (project / "score.py", 6)


def test_every_traceback_in_a_log_is_found_and_chains_are_folded():
    tracebacks = find_tracebacks(read_log("azmlinfsrv-worker-timeout.log"))
    # gunicorn's faulthandler dump (most recent call first) and the request's traceback.
    assert len(tracebacks) == 2
    dump, request = tracebacks
    assert dump.exception is None and dump.last_entry_script_frame == (
        "/var/azureml-app/score.py",
        11,
    )
    assert request.exception == "SystemExit: 1"
    chained = find_tracebacks(read_log("azmlinfsrv-module-not-found.log"))
    assert len(chained) == 1
    assert chained[0].exception == "ModuleNotFoundError: No module named 'sklearn'"


def test_text_without_a_traceback():
    assert map_traceback("all good\n") is None
    assert find_tracebacks("Traceback (most recent call last):\n") == []
