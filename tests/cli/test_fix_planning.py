"""Which quick fixes one `--fix` round applies together (amldebug.fixing, pure parts)."""

from __future__ import annotations

from pathlib import Path

from amldebug.diagnostics import Diagnostic, Fix, Range, Severity, TextEdit
from amldebug.fixing import FileSnapshot, plan_fixes, write_planned_edits


def _diagnostic(path: Path, *fixes: Fix) -> Diagnostic:
    return Diagnostic("AML999", Severity.WARNING, "m", Range.of(0, 0), path, fixes)


def _snapshots(path: Path, text: str) -> dict[Path, FileSnapshot]:
    path.write_text(text)
    return {path.resolve(): FileSnapshot(path.resolve(), text.encode(), text)}


def test_overlapping_fixes_wait_for_the_next_round(tmp_path):
    path = tmp_path / "a.txt"
    snapshots = _snapshots(path, "one two three\n")
    first = _diagnostic(path, Fix("first", (TextEdit(Range.of(0, 0, 0, 7), "ONE TWO"),)))
    overlapping = _diagnostic(path, Fix("second", (TextEdit(Range.of(0, 4, 0, 13), "2 3"),)))
    same_point = _diagnostic(path, Fix("insert", (TextEdit(Range.of(0, 0), ">> "),)))
    elsewhere = _diagnostic(path, Fix("third", (TextEdit(Range.of(0, 8, 0, 13), "THREE"),)))
    plan = plan_fixes([first, overlapping, same_point, elsewhere], snapshots)
    assert plan.fixed == [first, elsewhere]
    assert plan.deferred == [overlapping, same_point]
    outcome = write_planned_edits(plan, snapshots)
    assert outcome.written == [path.resolve()]
    assert path.read_text() == "ONE TWO THREE\n"


def test_the_same_fix_asked_twice_is_applied_once(tmp_path):
    path = tmp_path / "score.py"
    snapshots = _snapshots(path, "def init():\n    model = 1\n")
    fix = Fix("global", (TextEdit(Range.of(1, 0), "    global model\n"),))
    plan = plan_fixes([_diagnostic(path, fix), _diagnostic(path, fix)], snapshots)
    assert len(plan.fixed) == 2
    write_planned_edits(plan, snapshots)
    assert path.read_text() == "def init():\n    global model\n    model = 1\n"


def test_preferred_quick_fix_wins_and_refactors_are_ignored(tmp_path):
    path = tmp_path / "a.txt"
    snapshots = _snapshots(path, "x\n")
    refactor = Fix(
        "refactor", (TextEdit(Range.of(0, 0, 0, 1), "R"),), kind="refactor", preferred=True
    )
    plain = Fix("plain", (TextEdit(Range.of(0, 0, 0, 1), "P"),))
    preferred = Fix("preferred", (TextEdit(Range.of(0, 0, 0, 1), "Q"),), preferred=True)
    plan = plan_fixes([_diagnostic(path, refactor, plain, preferred)], snapshots)
    write_planned_edits(plan, snapshots)
    assert path.read_text() == "Q\n"
    only_refactor = plan_fixes([_diagnostic(path, refactor)], _snapshots(path, "x\n"))
    assert only_refactor.edits == {} and only_refactor.fixed == []


def test_binary_targets_are_never_planned(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00abc")
    fix = Fix("f", (TextEdit(Range.of(0, 0), "x"),))
    plan = plan_fixes([_diagnostic(path, fix)], {})
    assert plan.edits == {}
    assert path.read_bytes() == b"\x00abc"
