"""The exact shape of every `amldebug check` output format (fake analyzer: stable messages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amldebug import reporting
from amldebug.analysis.rule_catalogue import all_rules
from amldebug.diagnostics import Diagnostic, Range, Severity

pytestmark = pytest.mark.usefixtures("fake_analyzer")

EXPECTED_TEXT = """\
score.py:3:1: AML116 error: 'sklearn' is provided by nothing in conda.yml
score.py:12:16: AML106 error: 'model' is assigned in init() without 'global'
score.py:14:9: AML111 warning: run() returns exception text, e.g. 'a,b: 100%' second line
Found 3 problems (2 errors, 1 warning, 0 information); 2 fixable with --fix.
"""


def test_text_lines_are_path_line_column_code_severity_message_then_a_summary(
    run_cli, fake_project
):
    code, out, _ = run_cli("check", "score.py", cwd=fake_project)
    assert out == EXPECTED_TEXT
    assert code == 1
    assert "\x1b[" not in out  # stdout is not a terminal: no colour


def test_paths_are_relative_to_the_current_folder(run_cli, fake_project):
    _, out, _ = run_cli("check", "project/score.py", "--quiet", cwd=fake_project.parent)
    assert out.splitlines()[0].startswith("project/score.py:3:1: AML116 error:")
    # --quiet: problems only, no summary line
    assert len(out.splitlines()) == 3


def test_paths_outside_the_current_folder_are_absolute(run_cli, fake_project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, out, _ = run_cli("check", str(fake_project / "score.py"), cwd=elsewhere)
    assert out.startswith(f"{fake_project / 'score.py'}:3:1: AML116 error:")


def test_json_is_a_list_of_objects_with_one_based_positions(run_cli, fake_project):
    code, out, _ = run_cli("check", "score.py", "--format", "json", cwd=fake_project)
    assert code == 1
    problems = json.loads(out)
    assert problems[1] == {
        "file": "score.py",
        "line": 12,
        "column": 16,
        "end_line": 12,
        "end_column": 21,
        "code": "AML106",
        "severity": "error",
        "message": "'model' is assigned in init() without 'global'",
        "fixable": True,
    }
    assert [p["code"] for p in problems] == ["AML116", "AML106", "AML111"]
    assert problems[2]["severity"] == "warning" and problems[2]["fixable"] is False  # refactor only


def test_json_of_a_clean_project_is_an_empty_list(run_cli, copy_example):
    project = copy_example("working-project")
    code, out, _ = run_cli("check", "--format", "json", cwd=project)
    assert (code, json.loads(out)) == (0, [])


def test_sarif_has_the_catalogue_as_rules_and_one_based_regions(run_cli, fake_project):
    code, out, _ = run_cli("check", "score.py", "--format", "sarif", cwd=fake_project)
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "amldebug"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert set(all_rules()) <= set(rule_ids)
    for rule in driver["rules"]:
        if rule["id"] in all_rules():
            catalogue = all_rules()[rule["id"]]
            assert "helpUri" not in rule  # no guessed address: AMLDEBUG_RULES_URL is unset
            assert rule["help"]["markdown"].startswith(f"## {catalogue.code} `{catalogue.name}`")
            assert rule["shortDescription"]["text"] == catalogue.summary
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["AML116", "AML106", "AML111"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert [r["level"] for r in results] == ["error", "error", "warning"]
    location = results[1]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "score.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {
        "startLine": 12,
        "startColumn": 16,
        "endLine": 12,
        "endColumn": 21,
    }
    assert results[1]["message"]["text"] == "'model' is assigned in init() without 'global'"


def test_sarif_levels_map_information_to_note(tmp_path):
    diagnostic = Diagnostic(
        "AML002", Severity.INFORMATION, "binary", Range.of(0, 0), tmp_path / "x"
    )
    result = reporting.sarif_log([diagnostic], cwd=tmp_path)["runs"][0]["results"][0]
    assert result["level"] == "note"


def test_sarif_links_rules_to_the_published_docs_when_a_team_sets_the_address(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("AMLDEBUG_RULES_URL", "https://docs.example.test/rules.md")
    diagnostic = Diagnostic("AML106", Severity.ERROR, "m", Range.of(0, 0), tmp_path / "score.py")
    driver = reporting.sarif_log([diagnostic], cwd=tmp_path)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://docs.example.test/rules.md"
    rule = next(r for r in driver["rules"] if r["id"] == "AML106")
    assert rule["helpUri"] == "https://docs.example.test/rules.md#aml106-init-global-missing"


def test_github_annotations_escape_data_and_properties(run_cli, fake_project):
    code, out, _ = run_cli("check", "score.py", "--format", "github", cwd=fake_project)
    assert code == 1
    assert out.splitlines() == [
        "::error file=score.py,line=3,col=1,endLine=3,endColumn=15,title=AML116::"
        "'sklearn' is provided by nothing in conda.yml",
        "::error file=score.py,line=12,col=16,endLine=12,endColumn=21,title=AML106::"
        "'model' is assigned in init() without 'global'",
        "::warning file=score.py,line=14,col=9,endLine=14,endColumn=22,title=AML111::"
        "run() returns exception text, e.g. 'a,b: 100%25'%0Asecond line",
    ]


def test_github_property_escaping_follows_the_runner_rules():
    assert reporting.escape_github_property("dir:a,b/100%\r\n") == "dir%3Aa%2Cb/100%25%0D%0A"
    assert reporting.escape_github_data("a: b, 5%\n") == "a: b, 5%25%0A"


def test_colour_marks_severity_only_when_asked():
    diagnostic = Diagnostic("AML106", Severity.ERROR, "m", Range.of(0, 0), Path("/x/score.py"))
    coloured = reporting.format_text_line(diagnostic, Path("/x"), color=True)
    assert "\x1b[31m" in coloured and "score.py:1:1:" in coloured
    assert reporting.format_text_line(diagnostic, Path("/x")) == "score.py:1:1: AML106 error: m"


def test_statistics_count_each_code(run_cli, fake_project):
    code, out, _ = run_cli("check", "score.py", "--statistics", cwd=fake_project)
    assert code == 1
    lines = out.splitlines()
    assert [line.split()[:3] for line in lines[:3]] == [
        ["1", "AML106", "error"],
        ["1", "AML111", "warning"],
        ["1", "AML116", "error"],
    ]
    assert lines[-1].startswith("Found 3 problems")


def test_summary_wording():
    assert reporting.format_summary([]) == "All checks passed."
    one = Diagnostic("AML206", Severity.INFORMATION, "m", Range.of(0, 0))
    assert (
        reporting.format_summary([one]) == "Found 1 problem (0 errors, 0 warnings, 1 information)."
    )
