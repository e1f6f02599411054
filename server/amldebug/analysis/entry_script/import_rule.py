"""AML116: an import that nothing in the conda file provides, and the quick fix that adds the
distribution to the pip list."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

from amldebug.analysis import import_map
from amldebug.analysis.conda_model import CondaEnvironment, parse_conda_environment
from amldebug.analysis.entry_script.facts import ImportUse
from amldebug.analysis.entry_script.report import Report
from amldebug.diagnostics import Fix, Range, Severity, TextEdit
from amldebug.rules import Rule

REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


IMPORT_NOT_PROVIDED = Rule(
    code="AML116",
    name="import-not-in-environment",
    severity=Severity.ERROR,
    summary="an imported module is provided by nothing in the conda file",
    why=(
        "The image installs only what the conda file lists. A module that neither the conda nor "
        "the pip section provides (directly, or through a package that depends on it), that is "
        "not part of the standard library and is not a local module next to the script raises "
        "`ModuleNotFoundError`: at import or in `init()` the worker never boots "
        "(CrashLoopBackOff); in `run()` the request fails with HTTP 500. Import names are mapped "
        "to distributions (`sklearn` -> `scikit-learn`, `cv2` -> `opencv-python`, `PIL` -> "
        "`pillow`, `yaml` -> `pyyaml`); imports inside `try: ... except ImportError` are optional "
        "and not checked. Without a conda file the rule is silent."
    ),
    fix="Add the distribution to the pip list of the conda file (the quick fix does).",
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
    declared = declared | referenced_requirements(report, environment, conda_file)
    provided = import_map.provided_by(declared)
    reported: set[str] = set()
    for use in report.facts.imports:
        where = use.where
        if where.optional_import or where.type_only or where.main_guard:
            continue
        candidates = import_map.distributions_for_import(use.module)
        if not candidates or any(candidate in provided for candidate in candidates):
            continue
        distribution = candidates[0]
        if distribution in reported or is_local_module(report, use.module):
            continue
        reported.add(distribution)
        missing_distribution(report, use, distribution, environment, conda_file, conda_text)


def referenced_requirements(
    report: Report, environment: CondaEnvironment, conda_file: Path
) -> frozenset[str]:
    """Names from `-r requirements.txt` entries and from URL or wheel references."""
    names: set[str] = set()
    for dependency in environment.pip_entries():
        if not dependency.is_option:
            continue
        raw = dependency.spec or dependency.raw.strip()
        option = re.match(r"^(?:-r|--requirement)\s*=?\s*(\S+)", raw)
        if option:
            text = report.context.read_text(conda_file.parent / option.group(1))
            for line in (text or "").splitlines():
                match = REQUIREMENT_NAME.match(line)
                if match and not line.lstrip().startswith("#"):
                    names.add(import_map.canonical_distribution(match.group(1)))
            continue
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
        if egg:
            names.add(import_map.canonical_distribution(egg.group(1)))
            continue
        tail = raw.rstrip("/").rsplit("/", 1)[-1].split("@", 1)[0]
        tail = re.sub(r"\.git$", "", tail)
        if tail.endswith((".whl", ".tar.gz", ".zip")):
            tail = tail.split("-", 1)[0]
        if tail:
            names.add(import_map.canonical_distribution(tail))
    return frozenset(names)


def is_local_module(report: Report, module: str) -> bool:
    top = module.split(".", 1)[0]
    for base in (report.context.path.parent, report.context.project.root):
        if (base / f"{top}.py").is_file() or (base / top).is_dir():
            return True
    return False


def missing_distribution(
    report: Report,
    use: ImportUse,
    distribution: str,
    environment: CondaEnvironment,
    conda_file: Path,
    conda_text: str,
) -> None:
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
    edit = add_pip_dependency(environment, conda_text, conda_file, distribution)
    fixes = (
        (
            Fix(
                f"Add {distribution} to the pip dependencies in {conda_name}",
                (edit,),
                preferred=True,
            ),
        )
        if edit
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
def read_environment(conda_text: str) -> tuple[CondaEnvironment, frozenset[str] | None]:
    """The conda file read once per text, with the declared names (None when unreadable)."""
    environment = parse_conda_environment(conda_text)
    if any(problem.kind != "pip-not-list" for problem in environment.problems):
        return environment, None
    return environment, frozenset(d.name for d in environment.dependencies if d.name)


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
