"""Output formats of `amldebug check`: text for people, JSON, SARIF 2.1.0 and GitHub annotations.

Pure functions from diagnostics to text; the CLI decides where the text goes. Positions in every
format are 1-based (the engine's are 0-based, like LSP).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from amldebug import __version__
from amldebug.analysis.rule_catalogue import all_rules, render_rule
from amldebug.diagnostics import Diagnostic, Severity
from amldebug.rules import Rule

FORMATS = ("text", "json", "sarif", "github")

# Where a team publishes `docs/rules.md` (SARIF viewers link each rule to its section there).
# There is no canonical public address, so links appear only when this is set; every rule's full
# documentation travels inside the SARIF log (`help.markdown`) either way.
RULES_URL_VARIABLE = "AMLDEBUG_RULES_URL"

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_SARIF_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}
_GITHUB_COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "notice",
    Severity.HINT: "notice",
}
_ANSI = {
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "reset": "\x1b[0m",
    Severity.ERROR: "\x1b[31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFORMATION: "\x1b[36m",
    Severity.HINT: "\x1b[2m",
}


def display_path(path: Path | None, cwd: Path | None = None) -> str:
    """`path` relative to `cwd` when it lies inside it, else absolute; always with `/`."""
    if path is None:
        return "<unknown>"
    cwd = (cwd or Path.cwd()).absolute()
    absolute = path if path.is_absolute() else cwd / path
    absolute = Path(os.path.normpath(absolute))
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


def rules_doc_url() -> str | None:
    return os.environ.get(RULES_URL_VARIABLE) or None


def rule_doc_url(rule: Rule) -> str | None:
    base = rules_doc_url()
    # The anchor GitHub derives from the `## AML106 `init-global-missing`` heading of rules.md.
    return f"{base}#{rule.code.lower()}-{rule.name}" if base else None


def sort_for_output(diagnostics: Iterable[Diagnostic], cwd: Path | None = None) -> list[Diagnostic]:
    return sorted(
        diagnostics,
        key=lambda d: (
            display_path(d.path, cwd),
            d.range.start.line,
            d.range.start.character,
            d.code,
        ),
    )


# -- text ---------------------------------------------------------------------------------------


def format_text_line(
    diagnostic: Diagnostic, cwd: Path | None = None, *, color: bool = False
) -> str:
    start = diagnostic.range.start
    location = f"{display_path(diagnostic.path, cwd)}:{start.line + 1}:{start.character + 1}:"
    severity = diagnostic.severity.label
    code = diagnostic.code
    if color:
        tint = _ANSI[diagnostic.severity]
        location = f"{_ANSI['bold']}{location}{_ANSI['reset']}"
        code = f"{tint}{_ANSI['bold']}{code}{_ANSI['reset']}"
        severity = f"{tint}{severity}{_ANSI['reset']}"
    return f"{location} {code} {severity}: {_one_line(diagnostic.message)}"


def format_summary(diagnostics: Sequence[Diagnostic]) -> str:
    """`Found 7 problems (3 errors, 4 warnings, 0 information); 4 fixable with --fix.`"""
    if not diagnostics:
        return "All checks passed."
    counts = Counter(d.severity for d in diagnostics)
    parts = [
        _plural(counts[Severity.ERROR], "error"),
        _plural(counts[Severity.WARNING], "warning"),
        f"{counts[Severity.INFORMATION]} information",
    ]
    if counts[Severity.HINT]:
        parts.append(_plural(counts[Severity.HINT], "hint"))
    summary = f"Found {_plural(len(diagnostics), 'problem')} ({', '.join(parts)})"
    fixable = sum(1 for d in diagnostics if d.fixable)
    if fixable:
        summary += f"; {fixable} fixable with --fix"
    return summary + "."


def format_text(
    diagnostics: Sequence[Diagnostic],
    cwd: Path | None = None,
    *,
    color: bool = False,
    quiet: bool = False,
) -> str:
    lines = [format_text_line(d, cwd, color=color) for d in sort_for_output(diagnostics, cwd)]
    if not quiet:
        lines.append(format_summary(diagnostics))
    return "".join(line + "\n" for line in lines)


def format_statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """One line per code, most frequent first: count, code, severity, `[*]` when fixable, name."""
    counts = Counter(d.code for d in diagnostics)
    fixable = {d.code for d in diagnostics if d.fixable}
    severities = {d.code: d.severity.label for d in diagnostics}
    rules = all_rules()
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = rules.get(code)
        name = rule.name if rule else ""
        mark = "[*]" if code in fixable else "   "
        lines.append(f"{count:5d}  {code:<7} {severities[code]:<11} {mark} {name}".rstrip())
    return "".join(line + "\n" for line in lines)


# -- JSON -----------------------------------------------------------------------------------------


def diagnostic_to_json(diagnostic: Diagnostic, cwd: Path | None = None) -> dict[str, Any]:
    start, end = diagnostic.range.start, diagnostic.range.end
    return {
        "file": display_path(diagnostic.path, cwd),
        "line": start.line + 1,
        "column": start.character + 1,
        "end_line": end.line + 1,
        "end_column": end.character + 1,
        "code": diagnostic.code,
        "severity": diagnostic.severity.label,
        "message": diagnostic.message,
        "fixable": diagnostic.fixable,
    }


def format_json(diagnostics: Sequence[Diagnostic], cwd: Path | None = None) -> str:
    objects = [diagnostic_to_json(d, cwd) for d in sort_for_output(diagnostics, cwd)]
    return json.dumps(objects, indent=2, ensure_ascii=False) + "\n"


# -- SARIF 2.1.0 ----------------------------------------------------------------------------------


def sarif_log(diagnostics: Sequence[Diagnostic], cwd: Path | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every catalogue rule, then one result per diagnostic."""
    rules = list(all_rules().values())
    # Codes an analyzer reports without a catalogue entry still get a rule, so ruleIndex is valid.
    known = {rule.code for rule in rules}
    extra_codes = sorted({d.code for d in diagnostics} - known)
    rule_objects = [_sarif_rule(rule) for rule in rules] + [
        {"id": code, "shortDescription": {"text": code}} for code in extra_codes
    ]
    index = {obj["id"]: position for position, obj in enumerate(rule_objects)}
    results = [_sarif_result(d, index[d.code], cwd) for d in sort_for_output(diagnostics, cwd)]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "amldebug",
                        "version": __version__,
                        "semanticVersion": __version__,
                        **({"informationUri": rules_doc_url()} if rules_doc_url() else {}),
                        "rules": rule_objects,
                    }
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": {"uri": (cwd or Path.cwd()).absolute().as_uri() + "/"}
                },
                # The engine counts code points of each line, as Python strings do.
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def format_sarif(diagnostics: Sequence[Diagnostic], cwd: Path | None = None) -> str:
    return json.dumps(sarif_log(diagnostics, cwd), indent=2, ensure_ascii=False) + "\n"


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why.strip() or rule.summary},
        "help": {"text": rule.fix.strip() or rule.summary, "markdown": render_rule(rule)},
        "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]},
        "properties": {"fixable": rule.fixable},
    }
    url = rule_doc_url(rule)
    if url:
        descriptor["helpUri"] = url
    return descriptor


def _sarif_result(diagnostic: Diagnostic, rule_index: int, cwd: Path | None) -> dict[str, Any]:
    start, end = diagnostic.range.start, diagnostic.range.end
    path = display_path(diagnostic.path, cwd)
    if Path(path).is_absolute():
        location: dict[str, Any] = {"uri": Path(path).as_uri()}
    else:
        location = {"uri": _uri_path(path), "uriBaseId": "%SRCROOT%"}
    return {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVELS[diagnostic.severity],
        "message": {"text": diagnostic.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {
                        "startLine": start.line + 1,
                        "startColumn": start.character + 1,
                        "endLine": end.line + 1,
                        "endColumn": end.character + 1,
                    },
                }
            }
        ],
        "properties": {"fixable": diagnostic.fixable},
    }


def _uri_path(relative: str) -> str:
    return quote(relative, safe="/")


# -- GitHub Actions workflow commands -------------------------------------------------------------


def escape_github_data(text: str) -> str:
    """The message part of a workflow command (`%`, CR and LF are escaped)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_github_property(text: str) -> str:
    """A property value of a workflow command (also `:` and `,`, which delimit properties)."""
    return escape_github_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github_line(diagnostic: Diagnostic, cwd: Path | None = None) -> str:
    start, end = diagnostic.range.start, diagnostic.range.end
    properties = [
        ("file", display_path(diagnostic.path, cwd)),
        ("line", str(start.line + 1)),
        ("col", str(start.character + 1)),
        ("endLine", str(end.line + 1)),
        ("endColumn", str(end.character + 1)),
        ("title", diagnostic.code),
    ]
    rendered = ",".join(f"{key}={escape_github_property(value)}" for key, value in properties)
    command = _GITHUB_COMMANDS[diagnostic.severity]
    return f"::{command} {rendered}::{escape_github_data(diagnostic.message)}"


def format_github(diagnostics: Sequence[Diagnostic], cwd: Path | None = None) -> str:
    return "".join(format_github_line(d, cwd) + "\n" for d in sort_for_output(diagnostics, cwd))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _one_line(message: str) -> str:
    # A text line per diagnostic keeps `grep` and editors' problem matchers working.
    return " ".join(message.split("\n")).strip()
