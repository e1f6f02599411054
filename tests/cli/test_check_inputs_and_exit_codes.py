"""Exit codes, bad usage, folder walking and inputs that must never crash `amldebug check`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from amldebug.analysis.core import MAX_ANALYZED_CHARS


def test_clean_folder_exits_zero(run_cli, tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to check\n")
    code, out, err = run_cli("check", cwd=tmp_path)
    assert (code, out, err) == (0, "All checks passed.\n", "")


@pytest.mark.usefixtures("fake_analyzer")
def test_error_exits_one_and_warnings_alone_exit_zero(run_cli, fake_project):
    assert run_cli("check", "score.py", cwd=fake_project)[0] == 1
    code, out, _ = run_cli("check", "score.py", "--ignore", "AML106,AML116", cwd=fake_project)
    assert code == 0
    assert out.endswith("Found 1 problem (0 errors, 1 warning, 0 information).\n")


def test_nonexistent_path_is_bad_usage(run_cli, tmp_path):
    code, out, err = run_cli("check", "missing-folder", cwd=tmp_path)
    assert code == 2
    assert out == ""
    assert "amldebug: no such file or folder: missing-folder" in err


def test_unknown_format_is_bad_usage(run_cli, tmp_path):
    code, _, err = run_cli("check", "--format", "xml", cwd=tmp_path)
    assert code == 2
    assert "unknown output format 'xml'" in err and "text, json, sarif, github" in err


def test_unknown_rule_code_in_select_is_bad_usage(run_cli, tmp_path):
    code, _, err = run_cli("check", "--select", "XYZ9", cwd=tmp_path)
    assert code == 2
    assert "--select XYZ9: no rule code starts with 'XYZ9'" in err
    assert "AML0xx" in err


def test_missing_entry_script_override_is_bad_usage(run_cli, tmp_path):
    code, _, err = run_cli("check", "--entry-script", "nope.py", cwd=tmp_path)
    assert code == 2
    assert "--entry-script nope.py: no such file" in err


def test_binary_file_is_reported_not_crashed_on(run_cli, tmp_path):
    (tmp_path / "score.py").write_bytes(b"\x7fELF\x00\x01\x02\xff\xfe" * 100)
    code, out, _ = run_cli("check", "score.py", "--format", "json", cwd=tmp_path)
    assert code == 0
    assert '"code": "AML002"' in out
    assert "score.py looks binary" in out


def test_binary_file_found_by_walking_is_reported(run_cli, tmp_path):
    (tmp_path / "conda.yml").write_bytes(b"\x00\x00garbage")
    code, out, _ = run_cli("check", "--quiet", cwd=tmp_path)
    assert code == 0
    assert out.startswith("conda.yml:1:1: AML002 information: conda.yml looks binary")


def test_huge_file_gets_one_information_diagnostic(run_cli, tmp_path):
    (tmp_path / "Dockerfile.steps").write_text("RUN true\n" * (MAX_ANALYZED_CHARS // 9 + 10))
    code, out, _ = run_cli("check", "--quiet", cwd=tmp_path)
    assert code == 0
    assert out.startswith("Dockerfile.steps:1:1: AML001 information:")
    assert len(out.splitlines()) == 1


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_reported(run_cli, tmp_path):
    score = tmp_path / "score.py"
    score.write_text("def init():\n    pass\n")
    score.chmod(0)
    try:
        code, out, _ = run_cli("check", "--quiet", cwd=tmp_path)
    finally:
        score.chmod(0o644)
    assert code == 0
    assert "score.py could not be read" in out


def test_folder_walk_skips_version_control_dependencies_and_hidden_folders(run_cli, tmp_path):
    for skipped in (".git", "node_modules", ".venv", "__pycache__", ".hidden", "venv"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "conda.yml").write_bytes(b"\x00")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "conda.yml").write_bytes(b"\x00")
    (tmp_path / "README.md").write_bytes(b"\x00")  # not a deployment file: never read
    code, out, _ = run_cli("check", "--quiet", "--format", "text", cwd=tmp_path)
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == ["sub/conda.yml"]


def test_a_file_given_twice_is_checked_once(run_cli, tmp_path):
    (tmp_path / "conda.yml").write_bytes(b"\x00")
    _, out, _ = run_cli("check", ".", "conda.yml", "./conda.yml", "--quiet", cwd=tmp_path)
    assert len(out.splitlines()) == 1


def test_rule_selection_drops_codes(run_cli, tmp_path):
    (tmp_path / "conda.yml").write_bytes(b"\x00")
    code, out, _ = run_cli("check", "--ignore", "AML002", cwd=tmp_path)
    assert (code, out) == (0, "All checks passed.\n")
    _, out, _ = run_cli("check", "--select", "AML001", "--select", "AML0", "--quiet", cwd=tmp_path)
    assert "AML002" in out


def test_a_console_script_run_in_a_real_process(tmp_path, copy_example):
    import json
    import subprocess

    script = Path(sys.executable).parent / "amldebug"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "amldebug"]
    project = copy_example("broken-project")
    done = subprocess.run(
        [*command, "check", "--format", "sarif", "--no-color"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    results = json.loads(done.stdout)["runs"][0]["results"]
    located = {
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    }
    assert {
        ("AML106", "score.py", 32),
        ("AML203", "conda.yml", 9),
        ("AML303", "Dockerfile.steps", 2),
    } <= located
    missing = subprocess.run(
        [*command, "check", "nowhere"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2
    assert "no such file or folder: nowhere" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_named_pipe_is_bad_usage_not_a_hang(run_cli, tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    code, _, err = run_cli("check", "pipe.py", cwd=tmp_path)
    assert code == 2
    assert "not a regular file or folder: pipe.py" in err
    # Found while walking a folder, it is skipped.
    assert run_cli("check", cwd=tmp_path)[:2] == (0, "All checks passed.\n")


@pytest.mark.usefixtures("fake_analyzer")
def test_noqa_silences_one_line(run_cli, fake_project):
    score = fake_project / "score.py"
    score.write_text(
        score.read_text().replace(
            "return model.predict(raw_data)", "return model.predict(raw_data)  # noqa: AML106"
        )
    )
    _, out, _ = run_cli("check", "score.py", "--quiet", cwd=fake_project)
    assert [line.split()[1] for line in out.splitlines()] == ["AML116", "AML111"]


@pytest.mark.usefixtures("fake_analyzer")
def test_conda_file_override_is_relative_to_the_current_folder(run_cli, fake_project):
    (fake_project / "env").mkdir()
    conda = (fake_project / "conda.yml").rename(fake_project / "env" / "prod.yaml")
    _, out, _ = run_cli("check", "score.py", "--quiet", cwd=fake_project)
    assert "AML116" not in out  # no conda file found by convention: the fake rule stays silent
    _, out, _ = run_cli(
        "check", "score.py", "--conda-file", "env/prod.yaml", "--fix", cwd=fake_project
    )
    assert conda.read_text().endswith("      - scikit-learn\n")
    assert "Fixed 2 problems in 2 files." in out


@pytest.mark.usefixtures("fake_analyzer")
def test_colour_only_on_a_terminal_and_never_with_no_color(
    run_cli, fake_project, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, out, _ = run_cli("check", "score.py", cwd=fake_project)
    assert "\x1b[31m" in out
    _, out, _ = run_cli("check", "score.py", "--no-color", cwd=fake_project)
    assert "\x1b[" not in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run_cli("check", "score.py", cwd=fake_project)
    assert "\x1b[" not in out


def test_walk_treats_only_real_init_and_run_functions_as_an_entry_script(run_cli, tmp_path):
    (tmp_path / "templates.py").write_text(
        'SCORE_TEMPLATE = """\ndef init():\n    pass\n\ndef run(data):\n    return data\n"""\n'
    )
    (tmp_path / "app.py").write_text(
        "def init():\n    model = 1\n\n\ndef run(data):\n    return model\n"
    )
    _, out, _ = run_cli("check", "--quiet", "--select", "AML1", cwd=tmp_path)
    files = {line.split(":")[0] for line in out.splitlines()}
    assert files == {"app.py"}
    assert "app.py:6:12: AML106 error:" in out


def test_deployment_yaml_names_the_files_checked_together(run_cli, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "env").mkdir()
    (tmp_path / "deployment.yml").write_text(
        "code_configuration:\n  code: src\n  scoring_script: main.py\n"
        "environment:\n  conda_file: env/prod.yaml\n"
    )
    (tmp_path / "src" / "main.py").write_text(
        "import sklearn\n\n\ndef init():\n    pass\n\n\ndef run(data):\n    return data\n"
    )
    (tmp_path / "env" / "prod.yaml").write_text(
        "dependencies:\n  - python=3.11\n  - pip=24.0\n  - pip:\n"
        "      - azureml-inference-server-http==1.5.1\n"
    )
    code, out, _ = run_cli("check", "--quiet", cwd=tmp_path)
    assert code == 1
    assert out.startswith("src/main.py:1:8: AML116 error: 'sklearn' is imported")
    assert "prod.yaml" in out.splitlines()[0]
    code, out, _ = run_cli("check", "--fix", cwd=tmp_path)
    assert (tmp_path / "env" / "prod.yaml").read_text().endswith("      - scikit-learn\n")
    assert code == 0
