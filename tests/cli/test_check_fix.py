"""`amldebug check --fix`: quick fixes only, cross-file edits, atomic writes, nothing clobbered."""

from __future__ import annotations

from pathlib import Path

import pytest

from amldebug.cli import check as check_module

pytestmark = pytest.mark.usefixtures("fake_analyzer")


@pytest.fixture
def texts(fake_texts: tuple[str, str]) -> tuple[str, str, str]:
    score, conda = fake_texts
    return score, conda, score.replace("def init():\n", "def init():\n    global model\n")


def test_fix_applies_quick_fixes_across_files_and_keeps_the_rest_byte_identical(
    run_cli, fake_project, texts
):
    _, conda_text, fixed_score = texts
    code, out, _ = run_cli("check", "score.py", "--fix", cwd=fake_project)
    assert (fake_project / "score.py").read_text() == fixed_score
    # The AML116 fix edits conda.yml, another file than the diagnostic's; its comment survives.
    assert (fake_project / "conda.yml").read_text() == conda_text + "      - scikit-learn\n"
    assert out == (
        "score.py:15:9: AML111 warning: run() returns exception text, "
        "e.g. 'a,b: 100%' second line\n"
        "Fixed 2 problems in 2 files.\n"
        "Found 1 problem (0 errors, 1 warning, 0 information).\n"
    )
    assert code == 0  # only the warning remains


def test_fix_never_applies_refactors(run_cli, fake_project):
    run_cli("check", "score.py", "--fix", cwd=fake_project)
    assert "return str(e)" in (fake_project / "score.py").read_text()
    assert "internal error" not in (fake_project / "score.py").read_text()


def test_fix_keeps_crlf_line_endings_and_file_mode(run_cli, fake_project, texts):
    score_text, _, _ = texts
    score = fake_project / "score.py"
    score.write_bytes(score_text.replace("\n", "\r\n").encode())
    score.chmod(0o640)
    run_cli("check", "score.py", "--fix", cwd=fake_project)
    data = score.read_bytes()
    # The inserted line ends in CRLF like the rest (it was a lone LF: issue 9, smaller findings).
    assert b"def init():\r\n    global model\r\n" in data
    assert data.replace(b"    global model\r\n", b"") == score_text.replace("\n", "\r\n").encode()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert score.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in fake_project.iterdir()) == [
        "conda.yml",
        "score.py",
    ]  # no temp files


def test_second_fix_run_changes_nothing(run_cli, fake_project):
    run_cli("check", "score.py", "--fix", cwd=fake_project)
    before = (fake_project / "score.py").read_bytes(), (fake_project / "conda.yml").read_bytes()
    _, out, _ = run_cli("check", "score.py", "--fix", cwd=fake_project)
    assert "No fixes applied." in out
    assert (
        (fake_project / "score.py").read_bytes(),
        (fake_project / "conda.yml").read_bytes(),
    ) == before


def test_fix_in_json_mode_keeps_stdout_machine_readable(run_cli, fake_project):
    import json

    _, out, err = run_cli("check", "score.py", "--fix", "--format", "json", cwd=fake_project)
    assert [p["code"] for p in json.loads(out)] == ["AML111"]
    assert "Fixed 2 problems in 2 files." in err


def test_a_file_changed_on_disk_during_the_run_is_not_overwritten(
    run_cli, fake_project, texts, monkeypatch: pytest.MonkeyPatch
):
    score_text, _, _ = texts
    real_analyze = check_module.analyze_document
    score = fake_project / "score.py"
    edited_by_user = score_text + "# saved from the editor meanwhile\n"

    def analyze_then_user_saves(path, text, **kwargs):
        found = real_analyze(path, text, **kwargs)
        if Path(path).name == "score.py" and "meanwhile" not in score.read_text():
            score.write_text(edited_by_user)
        return found

    monkeypatch.setattr(check_module, "analyze_document", analyze_then_user_saves)
    code, _, err = run_cli("check", "score.py", "--fix", cwd=fake_project)
    assert score.read_text() == edited_by_user
    assert "score.py changed on disk while fixing; it was not overwritten." in err
    # The other file's fix did not depend on score.py's bytes and went through.
    assert (fake_project / "conda.yml").read_text().endswith("      - scikit-learn\n")
    assert code == 1  # AML106 is still there


def test_non_utf8_file_is_analysed_but_never_rewritten(run_cli, fake_project, texts):
    score_text, _, _ = texts
    score = fake_project / "score.py"
    original = score_text.replace("import json", "import json  # caf\xe9").encode("latin-1")
    score.write_bytes(original)
    code, out, _ = run_cli("check", "score.py", "--fix", cwd=fake_project)
    assert score.read_bytes() == original
    assert "AML106" in out
    assert code == 1
