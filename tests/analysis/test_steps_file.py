"""Dockerfile.steps rules AML301-AML303: positions, what they ignore, and their quick fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from amldebug.analysis import analyze_document
from amldebug.analysis.steps_file import INSTRUCTIONS, RULES
from amldebug.diagnostics import Diagnostic, Severity, apply_edits
from amldebug.project import FileKind, discover_project
from amldebug.rules import Rule

ROOT = Path(__file__).resolve().parents[2]
PROJECT = discover_project(ROOT / "examples" / "working-project")

CLEAN = """\
# syntax=docker/dockerfile:1
# tools for debugging inside the container
ARG TOOLS="vim less"
RUN apt-get update && \\
    # comments inside a continuation are dropped by Docker
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
        vim less \\
    && rm -rf /var/lib/apt/lists/*

RUN apt-get -qy install curl && apt install --yes jq; apt-get --assume-yes install git
RUN yes | apt-get install htop
RUN apt-get -o APT::Get::Assume-Yes=true install tree
RUN apt-get update
RUN ["apt-get", "install", "-y", "nano"]
run echo lower-case instructions are fine
RUN <<EOF
set -e
apt-get install -y strace
this line is shell, not an instruction
EOF
COPY <<-EOT /etc/motd
\tFROM inside a heredoc is text
\tEOT
ENV A=1 \\
    B=2
WORKDIR /var/azureml-app
"""


def diagnose(text: str) -> list[Diagnostic]:
    return analyze_document(
        ROOT / "examples" / "working-project" / "Dockerfile.steps",
        text,
        project=PROJECT,
        kind=FileKind.STEPS_FILE,
    )


def one(text: str, code: str) -> Diagnostic:
    found = [d for d in diagnose(text) if d.code == code]
    assert len(found) == 1, (code, diagnose(text))
    return found[0]


def at(diagnostic: Diagnostic) -> tuple[int, int]:
    return diagnostic.range.start.line, diagnostic.range.start.character


def test_a_clean_steps_file_has_no_diagnostics() -> None:
    assert diagnose(CLEAN) == []


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_every_rule_is_documented(rule: Rule) -> None:
    assert rule.why.strip() and rule.fix.strip() and rule.example.count("```") >= 4


# --- AML301 ---------------------------------------------------------------------------------------


def test_aml301_fires_on_the_from_line() -> None:
    text = "# base\n  from ubuntu:22.04 AS tools\nRUN echo hi\n"
    diagnostic = one(text, "AML301")
    assert diagnostic.severity is Severity.ERROR
    assert at(diagnostic) == (1, 2)
    assert "new build stage" in diagnostic.message


def test_aml301_does_not_fire_without_from() -> None:
    assert [d for d in diagnose(CLEAN) if d.code == "AML301"] == []


def test_aml301_fix_comments_out_every_line_of_the_instruction() -> None:
    text = "FROM ubuntu:22.04 \\\n    AS tools\nRUN echo hi\n"
    fixed = apply_edits(text, one(text, "AML301").fixes[0].edits)
    assert fixed == "# FROM ubuntu:22.04 \\\n    # AS tools\nRUN echo hi\n"
    assert diagnose(fixed) == []


# --- AML302 ---------------------------------------------------------------------------------------


def test_aml302_fires_on_a_shell_command_without_run() -> None:
    text = "RUN apt-get update\n    apt-get install -y vim\n"
    diagnostic = one(text, "AML302")
    assert diagnostic.severity is Severity.ERROR
    assert at(diagnostic) == (1, 4)
    assert "`apt-get` is not a Dockerfile instruction" in diagnostic.message
    # The editor offers RUN as a refactor; `check --fix` never applies it blindly.
    fix = diagnostic.fixes[0]
    assert fix.kind == "refactor" and not diagnostic.fixable
    assert apply_edits(text, fix.edits) == "RUN apt-get update\n    RUN apt-get install -y vim\n"


def test_aml302_fires_on_a_misspelt_instruction_without_offering_run() -> None:
    diagnostic = one("RUNN echo hi\n", "AML302")
    assert at(diagnostic) == (0, 0) and diagnostic.fixes == ()


@pytest.mark.parametrize("keyword", sorted(INSTRUCTIONS))
def test_aml302_does_not_fire_on_instructions_in_any_case(keyword: str) -> None:
    for spelling in (keyword, keyword.lower(), keyword.capitalize()):
        assert [d for d in diagnose(f"{spelling} something\n") if d.code == "AML302"] == []


def test_a_quoted_heredoc_marker_does_not_hide_the_lines_after_it() -> None:
    text = 'RUN echo "<<EOF"\napt-get install -y vim\nEOF\n'
    assert [at(d) for d in diagnose(text) if d.code == "AML302"] == [(1, 0), (2, 0)]


def test_aml302_follows_the_escape_directive() -> None:
    text = "# escape=`\nRUN echo one `\n    two\n"
    assert diagnose(text) == []
    assert [d.code for d in diagnose("RUN echo one `\n    two\n")] == ["AML302"]


# --- AML303 ---------------------------------------------------------------------------------------


def test_aml303_fires_across_a_line_continuation_at_the_apt_get_line() -> None:
    text = "RUN apt-get update && \\\n    apt-get install \\\n      vim\n"
    diagnostic = one(text, "AML303")
    assert diagnostic.severity is Severity.WARNING
    assert at(diagnostic) == (1, 4)
    assert diagnostic.range.end.character == len("    apt-get install")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("RUN apt install jq\n", (0, 4)),
        ("RUN sudo apt-get -q install jq\n", (0, 9)),
        ("RUN <<EOF\napt-get update\napt-get install jq\nEOF\n", (2, 0)),
    ],
)
def test_aml303_fires_on_apt_install_variants(text: str, where: tuple[int, int]) -> None:
    assert at(one(text, "AML303")) == where


def test_aml303_does_not_fire_with_yes_flags() -> None:
    assert [d for d in diagnose(CLEAN) if d.code == "AML303"] == []


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        (
            "RUN apt-get update && \\\n    apt-get install \\\n      vim  # editor\n",
            "RUN apt-get update && \\\n    apt-get install -y \\\n      vim  # editor\n",
        ),
        ("RUN apt install jq\n", "RUN apt install -y jq\n"),
        ('RUN ["apt-get", "install", "nano"]\n', 'RUN ["apt-get", "install", "-y", "nano"]\n'),
    ],
)
def test_aml303_fix_adds_yes_after_install(text: str, fixed: str) -> None:
    diagnostic = one(text, "AML303")
    assert diagnostic.fixable
    assert apply_edits(text, diagnostic.fixes[0].edits) == fixed
    assert diagnose(fixed) == []


def test_noqa_silences_a_steps_line() -> None:
    assert diagnose("RUN apt-get install vim  # noqa: AML303\n") == []
