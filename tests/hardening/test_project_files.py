"""`read_project_file`: only regular files inside the project, bounded, never blocking, never
raising (issue 9, item 3)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from amldebug.project_files import read_project_file


def read(path: Path, root: Path | None, **options):
    options.setdefault("max_bytes", 1_000_000)
    return read_project_file(path, root=root, **options)


def test_reads_a_file_inside_the_project(tmp_path):
    (tmp_path / "conda.yml").write_text("name: x\n", encoding="utf-8")
    result = read(tmp_path / "conda.yml", tmp_path)
    assert (result.text, result.problem) == ("name: x\n", None)


def test_utf8_bom_is_stripped(tmp_path):
    (tmp_path / "score.py").write_bytes(b"\xef\xbb\xbfdef init():\n    pass\n")
    assert read(tmp_path / "score.py", tmp_path).text == "def init():\n    pass\n"


def test_invalid_utf8_is_replaced_not_raised(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"caf\xe9\n")
    assert read(tmp_path / "a.txt", tmp_path).text == "caf\ufffd\n"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom", "/dev/stdin"])
def test_devices_are_refused(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    result = read(Path(device), None)
    assert result.text is None and "not a regular file" in (result.problem or "")


def test_a_symlink_to_dev_zero_inside_the_project_is_refused(tmp_path):
    (tmp_path / "conda.yml").symlink_to("/dev/zero")
    result = read(tmp_path / "conda.yml", tmp_path, allow_outside=True)
    assert result.text is None and "not a regular file" in (result.problem or "")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "conda.yml"
    os.mkfifo(fifo)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("r", read(fifo, tmp_path)))
    worker.daemon = True
    started = time.perf_counter()
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert time.perf_counter() - started < 3
    assert "a pipe" in (outcome["r"].problem or "")


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "sub").mkdir()
    assert "a folder" in (read(tmp_path / "sub", tmp_path).problem or "")


def test_size_cap(tmp_path):
    (tmp_path / "big.yml").write_bytes(b"a" * 101)
    result = read(tmp_path / "big.yml", tmp_path, max_bytes=100)
    assert result.text is None and "larger than 100 bytes" in (result.problem or "")
    assert read(tmp_path / "big.yml", tmp_path, max_bytes=101).text == "a" * 101


def test_binary_is_refused(tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04\x00\x00")
    assert "binary" in (read(tmp_path / "model.pkl", tmp_path).problem or "")


def test_outside_the_project_is_refused_unless_allowed(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("token\n")
    refused = read(project / ".." / "secret.txt", project)
    assert refused.text is None and "outside the project" in (refused.problem or "")
    assert read(secret, project, allow_outside=True).text == "token\n"
    assert read(secret, None).text == "token\n"


def test_a_symlink_leading_outside_is_refused(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "secret.txt").write_text("token\n")
    (project / "conda.yml").symlink_to(tmp_path / "secret.txt")
    (project / "linked").symlink_to(tmp_path)
    assert "outside" in (read(project / "conda.yml", project).problem or "")
    assert "outside" in (read(project / "linked" / "secret.txt", project).problem or "")


def test_a_symlink_inside_the_project_is_followed(tmp_path):
    (tmp_path / "real.yml").write_text("a: 1\n")
    (tmp_path / "conda.yml").symlink_to("real.yml")
    assert read(tmp_path / "conda.yml", tmp_path).text == "a: 1\n"


def test_a_symlink_loop_is_a_problem_not_an_exception(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    for root in (tmp_path, None):
        result = read(tmp_path / "a", root)
        assert result.text is None and result.problem


def test_missing_file(tmp_path):
    result = read(tmp_path / "nope.yml", tmp_path)
    assert result.text is None and "nope.yml" in (result.problem or "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "conda.yml"
    path.write_text("a: 1\n")
    path.chmod(0)
    try:
        result = read(path, tmp_path)
    finally:
        path.chmod(0o600)
    assert result.text is None and "cannot read" in (result.problem or "")
