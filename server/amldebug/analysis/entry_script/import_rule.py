"""AML116: an import that nothing in the conda file provides, and the quick fix that adds the
distribution to the pip list."""

from __future__ import annotations

import ast
import os
import re
from functools import lru_cache
from pathlib import Path

from amldebug.analysis import import_map
from amldebug.analysis.conda_model import CondaEnvironment, parse_conda_environment
from amldebug.analysis.entry_script.facts import ImportUse
from amldebug.analysis.entry_script.report import Report
from amldebug.analysis.uv_resolver import remembered_closure
from amldebug.diagnostics import Diagnostic, Fix, Range, Severity, TextEdit
from amldebug.rules import Rule

REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


IMPORT_NOT_PROVIDED = Rule(
    code="AML116",
    name="import-not-in-environment",
    severity=Severity.ERROR,
    summary="an imported module is provided by nothing in the conda file",
    why=(
        "The image installs only what the conda file lists. A module that nothing in the conda "
        "or pip section provides (directly, or through what those packages install, extras "
        "included) raises `ModuleNotFoundError`: at import or in `init()` the worker never boots "
        "(CrashLoopBackOff); in `run()` the request fails with HTTP 500. What provides an import "
        "comes from a table generated from real package metadata (`sklearn` -> `scikit-learn`, "
        "`cv2` -> `opencv-python-headless`, `azure-keyvault` 4.x -> `azure-keyvault-secrets`), "
        "or from the resolved closure after `amldebug check --resolve`. An **error** only when "
        "that is certain: the module belongs to known distributions and everything the "
        "environment installs is known. When an entry is unknown to the table (a private "
        "package, a URL, a conda-only package) the finding is **information**, without a fix. "
        "Modules under the deployment's code folder or beside the script are local, never "
        "packages; modules no known distribution provides are left alone; imports inside "
        "`try: ... except ImportError` are optional. Without a conda file the rule is silent."
    ),
    fix=(
        "Add the distribution to the pip list of the conda file (the quick fix does, with a "
        "name the table knows)."
    ),
    example=(
        "```python\nimport sklearn\n```\n\n```yaml\n# conda.yml\ndependencies:\n  - python=3.10\n "
        " - pip\n  - pip:\n      - azureml-inference-server-http\n      - scikit-learn==1.3.2\n```"
    ),
    fixable=True,
)


# AML116
def check_imports(report: Report) -> None:
    conda_file = report.context.project.conda_file
    if conda_file is None:
        return
    conda_text = report.context.read_text(conda_file)
    if conda_text is None:
        return
    environment, declared = read_environment(conda_text)
    if declared is None:
        return
    declared = declared + referenced_requirements(report, environment, conda_file)
    resolved = remembered_closure(conda_text)
    python = _python_of(environment)
    local = local_modules(report)
    reported: set[str] = set()
    for use in report.facts.imports:
        where = use.where
        if where.optional_import or where.type_only or where.main_guard:
            continue
        verdict = import_map.classify_import(
            use.module, declared, resolved=resolved, local_modules=local, python=python
        )
        if verdict.status is import_map.ImportStatus.PROVIDED or verdict.distribution is None:
            continue  # provided, or nothing known to suggest: a local module, most likely
        if verdict.distribution in reported:
            continue
        reported.add(verdict.distribution)
        certain = verdict.status is import_map.ImportStatus.MISSING
        missing_distribution(
            report, use, verdict, environment, conda_file, conda_text, certain=certain
        )


def _python_of(environment: CondaEnvironment) -> str:
    for dependency in environment.conda_entries():
        if dependency.name == "python":
            match = re.search(r"(\d+)\.(\d+)", dependency.spec)
            if match:
                return f"{match[1]}.{match[2]}"
    return ""


def referenced_requirements(
    report: Report, environment: CondaEnvironment, conda_file: Path
) -> tuple[str, ...]:
    """Requirement lines of `-r requirements.txt` entries; names of URL or wheel references
    (unknown to the table, so what they install stays uncertain)."""
    found: list[str] = []
    for dependency in environment.pip_entries():
        if not dependency.is_option:
            continue
        raw = dependency.spec or dependency.raw.strip()
        option = re.match(r"^(?:-r|--requirement)\s*=?\s*(\S+)", raw)
        if option:
            text = report.context.read_text(conda_file.parent / option.group(1))
            if text is None:
                found.append("")  # an unreadable requirements file: nothing is certain
            for line in (text or "").splitlines():
                line = line.split(" #", 1)[0].strip()
                if line.startswith(("-r", "--requirement", "-e", "--editable", "-c")):
                    found.append("")  # nested or editable: not followed
                elif REQUIREMENT_NAME.match(line):
                    found.append(line)
            continue
        if raw.startswith("-") and not raw.startswith(("-e", "--editable")):
            continue  # an index or install option: installs nothing
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
        if egg:
            found.append(import_map.canonical_distribution(egg.group(1)))
            continue
        tail = raw.rstrip("/").rsplit("/", 1)[-1].split("@", 1)[0]
        tail = re.sub(r"\.git$", "", tail)
        if tail.endswith((".whl", ".tar.gz", ".zip")):
            tail = tail.split("-", 1)[0]
        found.append(import_map.canonical_distribution(tail) if tail else "")
    return tuple(found)


_MAX_LOCAL_ENTRIES = 5000


def local_modules(report: Report) -> frozenset[str]:
    """Top-level names importable from the code folder, the script's folder and the project
    root (and, when the script edits sys.path, from the folders one level below them)."""
    context = report.context
    bases = [context.path.parent, context.project.root]
    if context.code_root is not None:
        bases.insert(0, context.code_root)
    if "sys.path" in report.text:
        bases += [child for base in list(bases) for child in _folders(base)]
    names: set[str] = set()
    for base in dict.fromkeys(bases):
        names |= _names_in(base)
    return frozenset(names)


_MAX_CHILD_FOLDERS = 50


def _folders(base: Path) -> list[Path]:
    try:
        entries = sorted(base.iterdir())[:_MAX_LOCAL_ENTRIES]
        children = [entry for entry in entries if entry.is_dir()]
    except OSError:
        return []
    return [child for child in children if not child.name.startswith(".")][:_MAX_CHILD_FOLDERS]


def _names_in(folder: Path) -> set[str]:
    names: set[str] = set()
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= _MAX_LOCAL_ENTRIES:
                    break
                if entry.name.endswith(".py"):
                    names.add(entry.name[:-3])
                elif entry.is_dir() and not entry.name.startswith("."):
                    names.add(entry.name)
    except OSError:
        pass
    return names


def missing_distribution(
    report: Report,
    use: ImportUse,
    verdict: import_map.ImportVerdict,
    environment: CondaEnvironment,
    conda_file: Path,
    conda_text: str,
    *,
    certain: bool,
) -> None:
    distribution = verdict.distribution or ""
    statement = use.statement
    if use.alias is not None:
        where = report.node_range(use.alias)
    else:
        where = report.first_line_range(statement)
        line = report.lines[where.start.line]
        module = (
            statement.module if isinstance(statement, ast.ImportFrom) and statement.module else ""
        )
        at = line.find(module, where.start.character) if module else -1
        if at >= 0:
            where = Range.of(where.start.line, at, where.start.line, at + len(module))
    scope = use.where.scope
    if scope in ("module", "class", "init"):
        consequence = "the worker fails to start with ModuleNotFoundError (CrashLoopBackOff)"
    elif scope == "run":
        consequence = "every request fails with ModuleNotFoundError (HTTP 500)"
    else:
        consequence = "ModuleNotFoundError when that code runs"
    conda_name = report.context.project.relative(conda_file)
    if isinstance(statement, ast.ImportFrom) and statement.module:
        top = statement.module
    else:
        top = use.module
    if not certain:
        # What the environment installs is not fully known: say what would provide the module,
        # as information, with no fix (adding it may well be redundant).
        report.diagnostics.append(
            Diagnostic(
                IMPORT_NOT_PROVIDED.code,
                Severity.INFORMATION,
                f"'{top}' comes from {distribution}, which {conda_name} may not install "
                f"({verdict.reason}); if it does not: {consequence}. `amldebug check --resolve` "
                "resolves the pip section to tell",
                where,
            )
        )
        return
    edit = add_pip_dependency(environment, conda_text, conda_file, distribution)
    fixes = (
        (
            Fix(
                f"Add {distribution} to the pip dependencies in {conda_name}",
                (edit,),
                preferred=True,
            ),
        )
        if edit and import_map.is_known_distribution(distribution)
        else ()
    )
    report.add(
        IMPORT_NOT_PROVIDED,
        f"'{top}' is imported, but {distribution} is not in {conda_name} (neither a conda nor "
        f"a pip dependency, nor installed by one): {consequence}",
        where,
        fixes,
    )


@lru_cache(maxsize=8)
def read_environment(conda_text: str) -> tuple[CondaEnvironment, tuple[str, ...] | None]:
    """The conda file read once per text, with its entries as written (pins and extras kept:
    `azureml-sdk[automl]`), None when unreadable."""
    environment = parse_conda_environment(conda_text)
    if any(problem.kind != "pip-not-list" for problem in environment.problems):
        return environment, None
    entries = tuple(
        (d.raw if d.section == "pip" else f"{d.name}{d.spec}")
        for d in environment.dependencies
        if d.name
    )
    return environment, entries


def add_pip_dependency(
    environment: CondaEnvironment, conda_text: str, conda_file: Path, distribution: str
) -> TextEdit | None:
    lines = conda_text.split("\n")
    if environment.pip_insert is not None:
        point = environment.pip_insert
        text = f"{point.prefix}{distribution}\n"
    elif environment.conda_insert is not None and environment.pip_key is None:
        point = environment.conda_insert
        nested = " " * (len(point.prefix) + 2) + "- "
        text = f"{point.prefix}pip:\n{nested}{distribution}\n"
        if not environment.declares("pip"):
            text = f"{point.prefix}pip\n" + text
    else:
        return None
    if point.line >= len(lines):
        # After the last line of a file without a final newline.
        return TextEdit(
            Range.of(len(lines) - 1, len(lines[-1])), "\n" + text.rstrip("\n"), path=conda_file
        )
    return TextEdit(Range.of(point.line, 0), text, path=conda_file)
