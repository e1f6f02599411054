"""Resolve a conda file's pip section before any build: AML213, AML214, AML215.

Azure ML reports an unsatisfiable pip section after a long cloud image build; a real resolver
says the same in about a second. The pip entries go to `uv pip compile` for the environment's
Python (its `python=` pin, else the default base image's) on Linux x86_64, with the user's index
settings; a failure is mapped back to the conda-file line that caused it, and a success gives the
full dependency closure that AML116 trusts over the import table.

Pure apart from `UvCommand` (the one place that runs uv) and `ResolutionCache` (files under the
user's cache folder): tests pass recorded uv output through the `UvRunner` interface.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from amldebug.analysis.conda_model import CondaDependency, parse_conda_environment
from amldebug.analysis.import_map import canonical_distribution
from amldebug.diagnostics import Diagnostic, Range, Severity
from amldebug.rules import Rule

# The Python of the default debug base image (minimal-ubuntu22.04-py39-cpu-inference).
DEFAULT_PYTHON = "3.9"
PLATFORM = "x86_64-manylinux_2_28"

PYTHON_TOO_OLD = Rule(
    code="AML213",
    name="pin-needs-newer-python",
    severity=Severity.ERROR,
    summary="a pip pin needs a newer Python than the environment's",
    why=(
        "Every release declares the Pythons it supports (Requires-Python). When the conda file "
        "pins `python=3.8` and the pip section pins `scikit-learn==1.6.1` (Python >= 3.9), pip "
        "finds no installable release: the image build fails with `No matching distribution "
        "found`, after minutes of cloud build. Found by `amldebug check --resolve`, which resolves "
        "the pip section with uv for the environment's Python on Linux x86_64."
    ),
    fix="Pin an older release of the package, or raise the `python=` pin.",
    example=(
        "```yaml\n# wrong\n  - python=3.8\n  - pip:\n      - scikit-learn==1.6.1\n```\n\n"
        "```yaml\n# right\n  - python=3.8\n  - pip:\n      - scikit-learn==1.3.2\n```"
    ),
)
UNSATISFIABLE = Rule(
    code="AML214",
    name="pip-section-does-not-resolve",
    severity=Severity.ERROR,
    summary="the pip section does not resolve (conflicting pins, or a name not on the index)",
    why=(
        "pip must find one release of every package that satisfies every pin at once. Two pins "
        "that exclude each other (`numpy==2.1.0` with an `mlflow` release that needs `numpy<2`), "
        "or a name that is not on the index, fail the image build with `ResolutionImpossible` or "
        "`No matching distribution found`. Found by `amldebug check --resolve`; the diagnostic "
        "sits on the entry the resolver blames and quotes its explanation."
    ),
    fix="Relax or change one of the conflicting pins (the message names them).",
    example=(
        "```yaml\n# wrong\n      - numpy==2.1.0\n      - mlflow==2.9.2\n```\n\n"
        "```yaml\n# right\n      - numpy==1.26.4\n      - mlflow==2.9.2\n```"
    ),
)
NOT_RESOLVED = Rule(
    code="AML215",
    name="environment-not-resolved",
    severity=Severity.INFORMATION,
    summary="the environment could not be resolved (offline, no uv, or the resolver failed)",
    why=(
        "`amldebug check --resolve` needs uv (`pip install uv`, or the `resolve` extra of "
        "amldebug) and the package index. Without them the pip section is not checked against "
        "the index, and AML116 falls back to the shipped import table."
    ),
    fix=(
        "Install uv, check the network, or point at your index and CA bundle: `PIP_INDEX_URL` / "
        "`UV_INDEX_URL`, `SSL_CERT_FILE` (or `--ca-bundle`)."
    ),
)
RULES = (PYTHON_TOO_OLD, UNSATISFIABLE, NOT_RESOLVED)


# --- what is resolved -----------------------------------------------------------------------


@dataclass(frozen=True)
class PipLine:
    text: str  # the requirement or option as uv reads it
    name: str  # canonical distribution name, "" for options
    range: Range


@dataclass(frozen=True)
class ResolutionInput:
    python: str  # major.minor
    # One interpreter version (`python=3.8`, `python==3.8.5`), not a range or nothing.
    python_pinned: bool
    lines: tuple[PipLine, ...]
    # Where a file-level diagnostic goes (the `pip:` key, else the first line).
    anchor: Range
    # Entries left out (local paths, editable installs): what they bring is not known.
    left_out: tuple[str, ...] = ()
    # The patch release resolved for: conda's `python=3.7` installs the newest 3.7.x, so a
    # `Requires-Python >=3.7.1` holds (uv's bare `3.7` means 3.7.0).
    python_release: str = ""

    @property
    def python_full(self) -> str:
        return self.python_release or latest_patch(self.python)

    @property
    def requirements_text(self) -> str:
        return "".join(line.text + "\n" for line in self.lines)


# Local paths are never built: that would run the project's own setup code.
_LOCAL_REFERENCE = re.compile(r"^(?:-e\s|--editable\b|\.|/|~|file:)")


def resolution_input(conda_text: str) -> ResolutionInput | None:
    """The pip section of a conda file as uv's input; None when it has none or is unreadable."""
    environment = parse_conda_environment(conda_text)
    if any(problem.kind != "pip-not-list" for problem in environment.problems):
        return None
    python, pinned, release = DEFAULT_PYTHON, False, ""
    for dependency in environment.conda_entries():
        if dependency.name == "python":
            match = _ONE_PYTHON.match(dependency.spec.strip())
            if match:
                python, pinned = f"{match[1]}.{match[2]}", True
                release = f"{python}.{match[3]}" if match[3] and match[4] is None else ""
    lines: list[PipLine] = []
    left_out: list[str] = []
    for dependency in environment.pip_entries():
        text = dependency.raw.split(" #", 1)[0].strip()
        if not text:
            continue
        if _LOCAL_REFERENCE.match(text):
            left_out.append(text)
            continue
        lines.append(PipLine(text, dependency.name, dependency.range))
    if not any(line.name for line in lines):
        return None
    anchor = environment.pip_key or environment.dependencies_key or Range.of(0, 0)
    return ResolutionInput(python, pinned, tuple(lines), anchor, tuple(left_out), release)


# `3.8`, `=3.8`, `==3.8`, `3.8.*`, `=3.8.5`, `==3.8.5` (a build string may follow): one Python.
_ONE_PYTHON = re.compile(r"^(?:==?)?\s*(\d+)\.(\d+)(?:\.(\d+))?(\.\*|\*)?(?:\s+\S+)?$")
# The newest patch release of each minor version (conda installs it for `python=X.Y`).
_LATEST_PATCH = {
    "3.6": "3.6.15",
    "3.7": "3.7.17",
    "3.8": "3.8.20",
    "3.9": "3.9.25",
    "3.10": "3.10.19",
    "3.11": "3.11.14",
    "3.12": "3.12.12",
    "3.13": "3.13.9",
}


def latest_patch(python: str) -> str:
    return _LATEST_PATCH.get(python, python)


@dataclass(frozen=True)
class UvRun:
    returncode: int
    stdout: str
    stderr: str


# (requirements text, python "3.10.19", working folder) -> what uv printed; None: no uv.
UvRunner = Callable[[str, str, Path], "UvRun | None"]

Outcome = Literal["resolved", "python", "conflict", "unavailable"]


@dataclass(frozen=True)
class Resolution:
    outcome: Outcome
    pins: Mapping[str, str] = field(default_factory=dict)  # resolved closure: name -> version
    explanation: str = ""  # uv's own words, condensed
    culprit: str | None = None  # the declared distribution the failure is blamed on
    needs_python: str | None = None  # "Python>=3.9" when a pin needs a newer interpreter

    @property
    def closure(self) -> frozenset[str] | None:
        return frozenset(self.pins) if self.outcome == "resolved" else None


_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:==\s*([^\s;]+)|\s*@\s*\S+)")
_NETWORK = re.compile(
    r"dns error|error sending request|failed to connect|connection refused|timed out|"
    r"network is unreachable|certificate|tls|could not connect|failed to fetch",
    re.IGNORECASE,
)
_NEEDS_PYTHON = re.compile(
    r"(?:versions of |\b)([A-Za-z0-9][A-Za-z0-9._-]*)(?:[<>=!~]=?[^\s,]*)? depends? on "
    r"(Python\s*[<>=!~]=?\s*[0-9.]+)"
)
_YOU_REQUIRE = re.compile(r"you require ([A-Za-z0-9][A-Za-z0-9._-]*)")
_NOT_FOUND = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the package registry")


def interpret(run: UvRun | None, request: ResolutionInput) -> Resolution:
    """What uv's output says about `request`."""
    if run is None:
        return Resolution("unavailable", explanation="uv is not installed")
    if run.returncode == 0:
        pins: dict[str, str] = {}
        for raw in run.stdout.splitlines():
            match = _PIN.match(raw.strip())
            if match:
                pins[canonical_distribution(match[1])] = match[2] or ""
        return Resolution("resolved", pins)
    explanation = _condense(run.stderr)
    declared = [line.name for line in request.lines if line.name]
    if "No solution found" not in run.stderr:
        missing = _NOT_FOUND.search(run.stderr)
        if (
            missing
            and canonical_distribution(missing[1]) in declared
            and not _NETWORK.search(run.stderr)
        ):
            return Resolution("conflict", explanation=explanation, culprit=_blame(missing[1]))
        return Resolution("unavailable", explanation=explanation)
    blamed = [_blame(name) for name in _YOU_REQUIRE.findall(run.stderr)]
    blamed = [name for name in blamed if name in declared]
    python = _NEEDS_PYTHON.search(run.stderr)
    if python and "Python version" in run.stderr:
        needs = re.sub(r"\s+", "", python[2])
        culprit = _blame(python[1])
        if culprit not in declared:
            culprit = blamed[-1] if blamed else culprit
        return Resolution("python", explanation=explanation, culprit=culprit, needs_python=needs)
    missing = _NOT_FOUND.search(run.stderr)
    if missing and _blame(missing[1]) in declared:
        return Resolution("conflict", explanation=explanation, culprit=_blame(missing[1]))
    return Resolution("conflict", explanation=explanation, culprit=blamed[-1] if blamed else None)


def _blame(name: str) -> str:
    return canonical_distribution(name)


def _condense(stderr: str) -> str:
    """uv's explanation without warnings, hints or line wrapping."""
    kept = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if not line or line.startswith(("warning:", "hint:")):
            continue
        line = re.sub(r"^(?:error|cause|  cause):\s*", "", line)
        kept.append(line)
    text = " ".join(kept)
    text = re.sub(r"^No solution found when resolving dependencies:?\s*", "", text)
    return text[:600] + ("..." if len(text) > 600 else "")


# --- diagnostics ----------------------------------------------------------------------------


def resolution_diagnostics(request: ResolutionInput, resolution: Resolution) -> list[Diagnostic]:
    """AML213/AML214/AML215 for one conda file, each on the line to change."""
    if resolution.outcome == "resolved":
        return []
    if resolution.outcome == "python" and not request.python_pinned:
        # Without one pinned Python the image's interpreter is not known: say so, not an error.
        return [
            Diagnostic(
                NOT_RESOLVED.code,
                NOT_RESOLVED.severity,
                f"Resolved for Python {request.python} (no single python= pin), "
                f"{_entry_text(request, resolution.culprit)} needs {resolution.needs_python}; "
                "pin python in the conda file to check for the interpreter the image will have.",
                _line_of(request, resolution.culprit),
            )
        ]
    if resolution.outcome == "unavailable":
        why = resolution.explanation or "the resolver failed"
        return [
            Diagnostic(
                NOT_RESOLVED.code,
                NOT_RESOLVED.severity,
                f"The pip section was not resolved ({why}); package pins were not checked "
                "against the index.",
                request.anchor,
            )
        ]
    where = _line_of(request, resolution.culprit)
    python = (
        f"python={request.python}"
        if request.python_pinned
        else f"Python {request.python} (no python= pin: the default base image's)"
    )
    if resolution.outcome == "python":
        rule = PYTHON_TOO_OLD
        message = (
            f"{_entry_text(request, resolution.culprit)} needs {resolution.needs_python}, but "
            f"the environment has {python}: pip finds no release to install and the image build "
            f"fails. uv: {resolution.explanation}"
        )
    else:
        rule = UNSATISFIABLE
        message = (
            f"The pip section does not resolve for {python} on Linux x86_64, so the image "
            f"build fails: {resolution.explanation}"
        )
        if "not found in the package registry" in resolution.explanation:
            message += (
                " (a package from a private index? Set PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, or "
                "add --extra-index-url to the pip section, as the image build needs it too)"
            )
    return [Diagnostic(rule.code, rule.severity, message, where)]


def _entry_text(request: ResolutionInput, culprit: str | None) -> str:
    for line in request.lines:
        if culprit and line.name == culprit:
            return line.text
    return culprit or "a pin"


def _line_of(request: ResolutionInput, culprit: str | None) -> Range:
    for line in request.lines:
        if culprit and line.name == culprit:
            return line.range
    return request.anchor


def pip_entries_of(conda_text: str) -> tuple[CondaDependency, ...]:
    return parse_conda_environment(conda_text).pip_entries()


__all__ = [
    "DEFAULT_PYTHON",
    "RULES",
    "PipLine",
    "Resolution",
    "ResolutionInput",
    "UvRun",
    "UvRunner",
    "interpret",
    "resolution_diagnostics",
    "resolution_input",
]
