"""`sync`'s decisions by content (issue 9, item 14) and its writer that never leaves the project
(item 1), without Docker."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from amldebug.containers.sync import (
    CONFLICT,
    CONTAINER_MODIFIED,
    CONTAINER_ONLY,
    LOCAL_MODIFIED,
    LOCAL_ONLY,
    plan_sync,
)
from amldebug.project_files import WriteRefused, write_inside


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def statuses(remote, local, changed, baseline):
    return {c.path: c.status for c in plan_sync(remote, local, frozenset(changed), baseline)}


def test_a_local_edit_of_a_file_the_container_did_not_touch_is_local():
    # The image is older than the local edit: the container still has what it started with.
    assert statuses({"score.py": b"v1"}, {"score.py": b"v2"}, set(), {}) == {
        "score.py": LOCAL_MODIFIED
    }


def test_a_container_edit_over_an_unchanged_local_copy_is_applied():
    got = statuses({"score.py": b"v2"}, {"score.py": b"v1"}, {"score.py"}, {"score.py": sha(b"v1")})
    assert got == {"score.py": CONTAINER_MODIFIED}


def test_changes_on_both_sides_are_a_conflict():
    got = statuses({"score.py": b"c"}, {"score.py": b"l"}, {"score.py"}, {"score.py": sha(b"v1")})
    assert got == {"score.py": CONFLICT}


def test_an_unknown_baseline_is_a_conflict_not_a_guess():
    assert statuses({"score.py": b"c"}, {"score.py": b"l"}, {"score.py"}, {}) == {
        "score.py": CONFLICT
    }


def test_added_in_the_container_and_only_local():
    got = statuses({"notes.txt": b"n"}, {"model.pkl": b"m"}, {"notes.txt"}, {"notes.txt": None})
    assert got == {"notes.txt": CONTAINER_ONLY, "model.pkl": LOCAL_ONLY}


def test_deleted_locally_but_changed_in_the_container_is_a_conflict():
    got = statuses({"a.py": b"c"}, {}, {"a.py"}, {"a.py": sha(b"v1")})
    assert got == {"a.py": CONFLICT}


def test_identical_files_are_not_listed():
    assert statuses({"a.py": b"x"}, {"a.py": b"x"}, {"a.py"}, {}) == {}


def test_write_inside_creates_folders_and_replaces_atomically(tmp_path):
    (tmp_path / "score.py").write_text("old")
    os.chmod(tmp_path / "score.py", 0o600)
    write_inside(tmp_path, "score.py", b"new")
    write_inside(tmp_path, "pkg/sub/mod.py", b"x")
    assert (tmp_path / "score.py").read_bytes() == b"new"
    assert (tmp_path / "score.py").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "pkg" / "sub" / "mod.py").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "score.py"]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def test_write_inside_never_follows_a_symlinked_folder(project, outside):
    (project / "link").symlink_to(outside)
    with pytest.raises(WriteRefused, match="link is a symlink"):
        write_inside(project, "link/authorized_keys", b"ssh-ed25519 AAAA")
    (project / "deep").mkdir()
    (project / "deep" / "link").symlink_to(outside)
    with pytest.raises(WriteRefused, match="deep/link is a symlink"):
        write_inside(project, "deep/link/x/y", b"1")
    assert list(outside.iterdir()) == []


def test_write_inside_never_replaces_a_symlinked_file(project, outside):
    (outside / "settings.json").write_text("{}")
    (project / "conf.json").symlink_to(outside / "settings.json")
    with pytest.raises(WriteRefused, match="a symlink"):
        write_inside(project, "conf.json", b"pwned")
    assert (outside / "settings.json").read_text() == "{}"
    assert (project / "conf.json").is_symlink()


def test_write_inside_refuses_a_temporary_name_planted_as_a_symlink(project, outside):
    (project / ".score.py.amldebug-write").symlink_to(outside / "planted")
    write_inside(project, "score.py", b"ok")
    assert not (outside / "planted").exists()
    assert (project / "score.py").read_bytes() == b"ok"


@pytest.mark.parametrize("relative", ["../x", "a/../../x", "/etc/passwd", "", "a//b", "./a"])
def test_write_inside_refuses_paths_that_are_not_plain(project, relative):
    with pytest.raises(WriteRefused):
        write_inside(project, relative, b"1")


def test_write_inside_refuses_a_file_where_a_folder_is_needed(project):
    (project / "a").write_text("file")
    with pytest.raises(WriteRefused, match="not a folder"):
        write_inside(project, "a/b", b"1")
