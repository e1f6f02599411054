"""`amldebug rule`: one rule's documentation, the catalogue, and docs/rules.md kept in step."""

from __future__ import annotations

from pathlib import Path

from amldebug.analysis.rule_catalogue import all_rules, render_catalogue, render_rule

REPO = Path(__file__).resolve().parents[2]


def test_rule_prints_its_documentation(run_cli, tmp_path):
    code, out, _ = run_cli("rule", "aml002", cwd=tmp_path)
    assert code == 0
    assert out == render_rule(all_rules()["AML002"])
    assert out.startswith("## AML002 `not-text`")


def test_unknown_rule_is_bad_usage_and_lists_the_families(run_cli, tmp_path):
    code, out, err = run_cli("rule", "AML999", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert "unknown rule code 'AML999'" in err
    assert "AML0xx" in err


def test_rule_without_code_is_bad_usage(run_cli, tmp_path):
    code, _, err = run_cli("rule", cwd=tmp_path)
    assert code == 2
    assert "name a rule code" in err


def test_rule_list_has_one_line_per_rule(run_cli, tmp_path):
    code, out, _ = run_cli("rule", "--list", cwd=tmp_path)
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(all_rules())
    assert lines[0].startswith("AML001  information")


def test_a_prefix_lists_the_matching_rules(run_cli, tmp_path):
    code, out, _ = run_cli("rule", "AML0", cwd=tmp_path)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [
        c for c in all_rules() if c.startswith("AML0")
    ]


def test_rule_all_prints_the_catalogue(run_cli, tmp_path):
    code, out, _ = run_cli("rule", "--all", cwd=tmp_path)
    assert code == 0
    catalogue = render_catalogue()
    assert out == (catalogue if catalogue.endswith("\n") else catalogue + "\n")


def test_docs_rules_md_is_the_generated_catalogue():
    """Regenerate with `amldebug rule --all > docs/rules.md` when this fails."""
    catalogue = render_catalogue()
    expected = catalogue if catalogue.endswith("\n") else catalogue + "\n"
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == expected
