"""Edits, suppression comments and rule selection: shared by every rule and every adapter."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from amldebug.analysis import RuleSelection, analyze_document, is_suppressed
from amldebug.diagnostics import Diagnostic, Range, Severity, TextEdit, apply_edits


def test_apply_edits_replaces_inserts_and_keeps_the_rest():
    text = "alpha\nbeta\ngamma\n"
    edits = [
        TextEdit(Range.of(1, 0, 1, 4), "BETA"),
        TextEdit(Range.of(0, 5), "!"),
        TextEdit(Range.of(3, 0), "delta\n"),
    ]
    assert apply_edits(text, edits) == "alpha!\nBETA\ngamma\ndelta\n"


def test_inserts_at_one_point_keep_their_order():
    edits = [TextEdit(Range.of(0, 0), "a"), TextEdit(Range.of(0, 0), "b")]
    assert apply_edits("x", edits) == "abx"


@given(st.text(), st.integers(0, 50), st.integers(0, 200), st.text(max_size=10))
def test_apply_edits_never_raises_and_only_adds_the_new_text(text, line, char, new):
    result = apply_edits(text, [TextEdit(Range.of(line, char), new)])
    assert len(result) == len(text) + len(new)


def diagnostic(code: str, line: int) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, "m", Range.of(line, 0))


def test_noqa_forms():
    lines = ["x  # noqa", "y  # noqa: AML109", "z  # noqa: AML108, AML109", "w  # NOQA:AML2", "v"]
    assert is_suppressed(diagnostic("AML101", 0), lines)
    assert is_suppressed(diagnostic("AML109", 1), lines)
    assert not is_suppressed(diagnostic("AML108", 1), lines)
    assert is_suppressed(diagnostic("AML108", 2), lines)
    assert not is_suppressed(diagnostic("AML201", 3), lines)  # codes are exact, not prefixes
    assert not is_suppressed(diagnostic("AML101", 4), lines)


def test_selection_longest_prefix_wins():
    selection = RuleSelection.parse(["AML1,AML201"], ["AML10"])
    assert selection.enabled("AML116")
    assert not selection.enabled("AML106")
    assert selection.enabled("AML201")
    assert not selection.enabled("AML202")
    assert RuleSelection().enabled("AML999")
    assert not RuleSelection.parse([], ["ALL"]).enabled("AML101")


def test_binary_and_huge_files_get_one_information_diagnostic():
    binary = analyze_document(Path("score.py"), "\x00\x01garbage")
    assert [(d.code, d.severity) for d in binary] == [("AML002", Severity.INFORMATION)]
    huge = analyze_document(Path("conda.yml"), "#" * 2_000_001)
    assert [d.code for d in huge] == ["AML001"]
    assert "2,000,001 characters" in huge[0].message
