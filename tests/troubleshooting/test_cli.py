"""`amldebug explain` and `amldebug replicas` as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import LOGS

from amldebug.cli.main import main


def amldebug(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "amldebug", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_explain_file_text(project: Path):
    result = amldebug(
        "explain", str(LOGS / "azmlinfsrv-init-raises.log"), "--project", str(project)
    )
    assert result.returncode == 0
    assert (
        f"{LOGS / 'azmlinfsrv-init-raises.log'}:42: [init-failed] The worker failed to boot"
        in result.stdout
    )
    assert f"in your code: {project / 'score.py'}:10" in result.stdout
    assert "  Fix:\n    1. Open score.py line 10" in result.stdout
    assert "1 known failure(s) recognised" in result.stdout


def test_explain_stdin_json(project: Path):
    log = (LOGS / "azmlinfsrv-module-not-found.log").read_text()
    result = amldebug("explain", "-", "--format", "json", "--project", str(project), stdin=log)
    assert result.returncode == 0
    findings = json.loads(result.stdout)
    assert [f["id"] for f in findings] == ["module-not-found", "init-failed"]
    first = findings[0]
    assert first["line"] == 46
    assert first["matched"] == "ModuleNotFoundError: No module named 'sklearn'"
    assert first["local_path"] == str(project / "score.py") and first["local_line"] == 3
    assert "scikit-learn" in first["fix"]


def test_explain_reads_stdin_by_default():
    result = amldebug("explain", stdin=(LOGS / "docker-cli-daemon-unreachable.log").read_text())
    assert result.returncode == 0
    assert "standard input:2: [docker-daemon-unreachable]" in result.stdout
    assert "(seen 2 times, last at line 10)" in result.stdout


def test_explain_unknown_input_says_so_and_exits_0(tmp_path: Path):
    result = amldebug("explain", str(LOGS / "azmlinfsrv-healthy.log"))
    assert result.returncode == 0
    assert result.stdout.startswith(
        f"No known failure recognised in {LOGS / 'azmlinfsrv-healthy.log'} (50 lines)."
    )
    empty = amldebug("explain", "--format", "json", stdin="")
    assert empty.returncode == 0 and json.loads(empty.stdout) == []


def test_explain_missing_file_is_a_message(tmp_path: Path):
    result = amldebug("explain", str(tmp_path / "absent.log"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"amldebug: {tmp_path / 'absent.log'} does not exist.")
    assert "Traceback" not in result.stderr


def test_replicas_text_and_json():
    result = amldebug(
        "replicas",
        "--target-rps",
        "20",
        "--request-time",
        "10",
        "--max-concurrent",
        "1",
        "--target-utilization",
        "70",
    )
    assert result.returncode == 0
    assert "Replicas needed: 286" in result.stdout
    assert "ceil(20 x 10 / 0.7 / 1) = ceil(285.71) = 286" in result.stdout
    assert "target utilization 70 read as a percentage: 70 %" in result.stdout
    as_json = amldebug(
        "replicas",
        "--target-rps",
        "20",
        "--request-time",
        "10",
        "--target-utilization",
        "0.7",
        "--format",
        "json",
    )
    data = json.loads(as_json.stdout)
    assert data["replicas"] == 286
    assert data["utilizationReading"] == "0.7 read as a fraction: 70 %"
    assert data["headroomPercent"] == 30


def test_replicas_inverse():
    result = amldebug(
        "replicas",
        "--replicas",
        "3",
        "--request-time",
        "0.5",
        "--max-concurrent",
        "2",
        "--format",
        "json",
    )
    data = json.loads(result.stdout)
    assert result.returncode == 0
    assert data["replicas"] == 3 and data["rps"] == 8.4 and data["headroomPercent"] == 30
    text = amldebug("replicas", "--replicas", "3", "--request-time", "0.5", "--max-concurrent", "2")
    assert "3 replicas absorb 8.4 requests/s before autoscaling must add more" in text.stdout
    assert "spike headroom: 30 % (100 % - 70 %)" in text.stdout


def test_replicas_bad_input_exits_2_with_a_message(capsys):
    for args, message in [
        (
            ("--target-rps", "abc", "--request-time", "1"),
            "amldebug: target requests per second must be a number, not 'abc'",
        ),
        (
            ("--target-rps", "5", "--request-time", "1", "--target-utilization", "150"),
            "amldebug: target utilization 150 is outside 1-100 %",
        ),
        (("--target-rps", "5"), "amldebug: --request-time is required"),
        (
            ("--request-time", "1"),
            "amldebug: --target-rps is required (or --replicas N for the inverse).",
        ),
        (
            ("--replicas", "0", "--request-time", "1"),
            "amldebug: replicas must be a whole number of at least 1, not 0",
        ),
    ]:
        assert main(["replicas", *args]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith(message), err
        assert "Traceback" not in err
