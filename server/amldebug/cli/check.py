"""`amldebug check` (diagnostics for terminals and CI, `--fix`) and `amldebug rule` (rule docs).

A thin adapter: it finds the files to check, reads each once per round, hands the text to
`analyze_document`, and prints what comes back in the chosen format.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from amldebug import reporting
from amldebug.analysis import RuleSelection, analyze_document
from amldebug.analysis.core import NOT_TEXT
from amldebug.analysis.rule_catalogue import all_rules, get_rule, render_catalogue, render_rule
from amldebug.deployments import DeploymentIndex, scan_deployments
from amldebug.deployments.index import walk_project_tree
from amldebug.diagnostics import Diagnostic, Range, Severity
from amldebug.errors import UsageError
from amldebug.fixing import (
    FileSnapshot,
    canonical_path,
    chosen_fix,
    edit_target,
    plan_fixes,
    read_snapshot,
    write_planned_edits,
)
from amldebug.project import (
    FileKind,
    Project,
    classify_file,
    discover_project,
)

# Suffixes of files worth classifying when walking a folder; the rest are never deployment files.
_CANDIDATE_SUFFIXES = (".py", ".yml", ".yaml", ".steps")
# Analysed text is capped well above the engine's own size limit, so huge files are refused by
# the engine (AML001) without being read into memory whole.
_MAX_READ_BYTES = 64 * 1024 * 1024
# `--fix` re-analyses after each round of edits, since one fix can reveal or settle another.
MAX_FIX_ROUNDS = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser(
        "check",
        help="check score.py, conda files, Dockerfile.steps and deployment YAML for mistakes",
        description=(
            "Check Azure ML deployment files for mistakes. Exit status: 0 when no error remains, "
            "1 when an error-severity problem remains, 2 for bad usage."
        ),
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders to check (default: the current folder)",
    )
    check.add_argument(
        "--format",
        default="text",
        metavar="{" + ",".join(reporting.FORMATS) + "}",
        help="output format (default: text)",
    )
    check.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CODES",
        help="only these rule codes or prefixes, comma-separated or repeated (e.g. AML1,AML203)",
    )
    check.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="skip these rule codes or prefixes, comma-separated or repeated",
    )
    check.add_argument(
        "--fix",
        action="store_true",
        help="apply every quick fix to the files (refactors are never applied)",
    )
    check.add_argument(
        "--entry-script", metavar="FILE", help="the entry script, instead of discovery"
    )
    check.add_argument(
        "--conda-file", metavar="FILE", help="the conda environment file, instead of discovery"
    )
    check.add_argument(
        "--resolve",
        action="store_true",
        help="resolve the pip section of each deployed conda file with uv for its Python on "
        "Linux x86_64 (AML213-AML215; cached by content); AML116 then uses the real closure",
    )
    check.add_argument(
        "--ca-bundle",
        metavar="FILE",
        help="CA bundle for --resolve behind a TLS-intercepting proxy (default: $SSL_CERT_FILE, "
        "else $PIP_CERT)",
    )
    check.add_argument("--no-color", action="store_true", help="never colour the text output")
    check.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print the problems only, without the summary line",
    )
    check.add_argument(
        "--statistics",
        action="store_true",
        help="print how many times each rule fired instead of each problem",
    )
    check.set_defaults(func=run_check)

    rule = subparsers.add_parser(
        "rule",
        help="explain a rule: why it matters and how to fix it",
        description="Print a rule's documentation, every rule's (--all: docs/rules.md) or a list.",
    )
    rule.add_argument("code", nargs="?", metavar="CODE", help="a rule code such as AML106")
    shown = rule.add_mutually_exclusive_group()
    shown.add_argument(
        "--all", action="store_true", help="print the documentation of every rule (docs/rules.md)"
    )
    shown.add_argument("--list", action="store_true", help="print one line per rule")
    rule.set_defaults(func=run_rule)


# -- check ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckTarget:
    path: Path  # absolute, symlinks kept, as the user sees it
    project: Project
    kind: FileKind | None = None  # None: let the engine classify it
    # A folder the walk could not list, and why: reported, never analysed.
    unreadable: str | None = None


def run_check(args: argparse.Namespace) -> int:
    output_format = str(args.format).lower()
    if output_format not in reporting.FORMATS:
        raise UsageError(
            f"unknown output format '{args.format}'",
            hint=f"Choose one of: {', '.join(reporting.FORMATS)}.",
        )
    selection = parse_selection(args.select, args.ignore)
    targets = collect_targets(
        args.paths or ["."],
        entry_script=_existing_option(args.entry_script, "--entry-script"),
        conda_file=_existing_option(args.conda_file, "--conda-file"),
    )

    resolved = _resolve(targets, selection, args)
    diagnostics, snapshots = analyse_targets(targets, selection)
    diagnostics += resolved
    fixed_count = 0
    fixed_files: set[Path] = set()
    frozen: set[Path] = set()
    notices: list[str] = []
    for _round in range(MAX_FIX_ROUNDS if args.fix else 0):
        plan = plan_fixes(diagnostics, snapshots, frozen=frozenset(frozen))
        if not plan.edits:
            break
        outcome = write_planned_edits(plan, snapshots)
        written = set(outcome.written)
        for path in outcome.changed_on_disk:
            frozen.add(path)
            notices.append(
                f"amldebug: {reporting.display_path(path)} changed on disk while fixing; "
                "it was not overwritten."
            )
        for path, reason in outcome.failed:
            frozen.add(path)
            notices.append(f"amldebug: could not write {reporting.display_path(path)}: {reason}")
        for diagnostic in plan.fixed:
            fix = chosen_fix(diagnostic)
            targets_of_fix = {edit_target(edit, diagnostic) for edit in fix.edits} if fix else set()
            if targets_of_fix and targets_of_fix <= written:
                fixed_count += 1
        fixed_files |= written
        if not written:
            break
        diagnostics, snapshots = analyse_targets(targets, selection)
        diagnostics += resolved

    for notice in notices:
        print(notice, file=sys.stderr)
    fix_line = _fix_summary(fixed_count, len(fixed_files)) if args.fix else None
    _print_report(diagnostics, args, output_format, fix_line)
    return 1 if any(d.severity is Severity.ERROR for d in diagnostics) else 0


def _resolve(
    targets: Sequence[CheckTarget], selection: RuleSelection, args: argparse.Namespace
) -> list[Diagnostic]:
    """`--resolve`: before the analysis, so AML116 sees each environment's resolved closure."""
    if not getattr(args, "resolve", False):
        return []
    from amldebug.cli.resolve import ca_bundle_option, resolve_environments

    bundle = ca_bundle_option(getattr(args, "ca_bundle", None))
    return resolve_environments(targets, selection, ca_bundle=bundle)


def parse_selection(select: Iterable[str], ignore: Iterable[str]) -> RuleSelection:
    """`--select`/`--ignore` values, refusing codes and prefixes that match no rule."""
    selection = RuleSelection.parse(select, ignore)
    codes = list(all_rules())
    for option, values in (("--select", selection.select), ("--ignore", selection.ignore)):
        for value in values:
            if value != "ALL" and not any(code.startswith(value) for code in codes):
                raise UsageError(
                    f"{option} {value}: no rule code starts with '{value}'",
                    hint=f"Known codes: {known_prefixes()}; see `amldebug rule --list`.",
                )
    return selection


def collect_targets(
    paths: Sequence[str | Path], *, entry_script: Path | None = None, conda_file: Path | None = None
) -> list[CheckTarget]:
    """Every file to check under `paths`, each with its project, without duplicates."""
    for raw in paths:
        if not Path(raw).exists():
            raise UsageError(
                f"no such file or folder: {raw}", hint="Pass existing files or folders to check."
            )
        if not (Path(raw).is_dir() or Path(raw).is_file()):
            # A pipe or a device would block the read forever.
            raise UsageError(f"not a regular file or folder: {raw}")
        if Path(raw).is_dir():
            # A folder that cannot be listed walks as an empty one: "All checks passed".
            try:
                with os.scandir(raw):
                    pass
            except OSError as error:
                raise UsageError(
                    f"cannot read the folder {raw}: {error.strerror or error}",
                    hint="Nothing in it was checked.",
                ) from error

    projects: dict[tuple[Path, bool], Project] = {}
    indexes: dict[Path, DeploymentIndex] = {}

    def index_of(top: Path) -> DeploymentIndex:
        if top not in indexes:
            indexes[top] = scan_deployments(top)
        return indexes[top]

    def project_for(start: Path, top: Path | None = None) -> Project:
        key = (start, start.is_dir())
        if key not in projects:
            index = index_of(top) if top is not None else None
            projects[key] = discover_project(
                start, entry_script=entry_script, conda_file=conda_file, index=index
            )
        return projects[key]

    targets: dict[Path, CheckTarget] = {}

    def add(path: Path, project: Project, kind: FileKind | None = None) -> None:
        key = canonical_path(path)
        if key not in targets:
            targets[key] = CheckTarget(_absolute(path), project, kind)

    for raw in paths:
        start = _absolute(Path(raw))
        if not start.is_dir():
            add(start, project_for(start))
            continue
        top = canonical_path(start)
        index = index_of(start)  # one scan of the tree; its walk is reused below
        unreadable = list(index.unreadable)
        for folder, names in index.tree or walk_project_tree(start, unreadable):
            project = project_for(folder, start)
            # Files the project names (a deployment YAML may point at src/score.py or env.yaml).
            for declared in (
                project.entry_script,
                project.conda_file,
                project.steps_file,
                project.deployment_file,
            ):
                if (
                    declared is not None
                    and declared.is_file()
                    and _is_within(canonical_path(declared), top)
                ):
                    add(declared, project)
            for name in names:
                path = folder / name
                if not _is_candidate(name) or canonical_path(path) in targets:
                    continue
                if not path.is_file():
                    continue  # a broken link, a pipe or a device
                snapshot = read_snapshot(path, max_bytes=200_000)
                text = (
                    None
                    if snapshot.data is None
                    else snapshot.data.decode("utf-8-sig", errors="replace")
                )
                kind = classify_file(path, text, project)
                if kind is not FileKind.OTHER:
                    add(path, project, kind)
        for folder, reason in dict(unreadable).items():
            key = canonical_path(folder)
            if key not in targets:
                targets[key] = CheckTarget(_absolute(folder), project_for(start), None, reason)
    return list(targets.values())


def analyse_targets(
    targets: Sequence[CheckTarget], selection: RuleSelection
) -> tuple[list[Diagnostic], dict[Path, FileSnapshot]]:
    """Read every target (and the files its project names) once, then analyse each target.

    The snapshots double as the analysis overlay, so cross-file rules see the very text that
    `--fix` edits and compares against before writing.
    """
    snapshots: dict[Path, FileSnapshot] = {}
    for target in targets:
        if target.unreadable is not None:
            continue
        key = canonical_path(target.path)
        snapshots.setdefault(key, read_snapshot(key, max_bytes=_MAX_READ_BYTES))
        for related in _project_files(target.project):
            related_key = canonical_path(related)
            if related_key not in snapshots:
                snapshots[related_key] = read_snapshot(related_key)
    overlay = {
        path: snapshot.text for path, snapshot in snapshots.items() if snapshot.text is not None
    }

    diagnostics: list[Diagnostic] = []
    for target in targets:
        if target.unreadable is not None:
            diagnostics.extend(_unreadable(target.path, target.unreadable, selection, folder=True))
            continue
        snapshot = snapshots[canonical_path(target.path)]
        if snapshot.data is None:
            diagnostics.extend(
                _unreadable(target.path, snapshot.error or "it disappeared", selection)
            )
            continue
        text = (
            snapshot.text
            if snapshot.text is not None
            else snapshot.data.decode("utf-8-sig", errors="replace")
        )
        diagnostics.extend(
            analyze_document(
                target.path,
                text,
                project=target.project,
                selection=selection,
                overlay=overlay,
                kind=target.kind,
            )
        )
    return diagnostics, snapshots


def _unreadable(
    path: Path, reason: str, selection: RuleSelection, *, folder: bool = False
) -> list[Diagnostic]:
    if not selection.enabled(NOT_TEXT.code):
        return []
    message = (
        f"The folder {path.name}/ could not be read ({reason}); its files were not analysed."
        if folder
        else f"{path.name} could not be read ({reason}); it was not analysed."
    )
    return [Diagnostic(NOT_TEXT.code, NOT_TEXT.severity, message, Range.of(0, 0), path)]


def _print_report(
    diagnostics: list[Diagnostic],
    args: argparse.Namespace,
    output_format: str,
    fix_line: str | None,
) -> None:
    out = sys.stdout
    if output_format == "json":
        out.write(reporting.format_json(diagnostics))
    elif output_format == "sarif":
        out.write(reporting.format_sarif(diagnostics))
    elif output_format == "github":
        out.write(reporting.format_github(diagnostics))
    else:
        color = not args.no_color and "NO_COLOR" not in os.environ and out.isatty()
        if args.statistics:
            out.write(reporting.format_statistics(diagnostics))
        else:
            out.write(reporting.format_text(diagnostics, color=color, quiet=True))
        if fix_line and not args.quiet:
            out.write(fix_line + "\n")
        if not args.quiet:
            out.write(reporting.format_summary(diagnostics) + "\n")
        return
    if fix_line:
        # Machine-readable stdout stays pure; people still learn what --fix did.
        print(fix_line, file=sys.stderr)


def _fix_summary(fixed: int, files: int) -> str:
    if not fixed:
        return "No fixes applied."
    problems = "1 problem" if fixed == 1 else f"{fixed} problems"
    where = "1 file" if files == 1 else f"{files} files"
    return f"Fixed {problems} in {where}."


def _is_candidate(name: str) -> bool:
    return not name.startswith(".") and (
        name == "Dockerfile.steps" or name.endswith(_CANDIDATE_SUFFIXES)
    )


def _project_files(project: Project) -> list[Path]:
    files = (project.entry_script, project.conda_file, project.steps_file, project.deployment_file)
    return [path for path in files if path is not None]


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path.expanduser()))


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _existing_option(value: str | None, option: str) -> Path | None:
    """An override path, relative to the current folder (not to the project, as in discovery)."""
    if not value:
        return None
    path = _absolute(Path(value))
    if not path.is_file():
        raise UsageError(f"{option} {value}: no such file")
    return path


# -- rule -----------------------------------------------------------------------------------------


def run_rule(args: argparse.Namespace) -> int:
    if args.all:
        _write(render_catalogue())
        return 0
    rules = all_rules()
    if args.list:
        _write("".join(_rule_line(rule_code) for rule_code in rules))
        return 0
    if not args.code:
        raise UsageError(
            "name a rule code, or pass --all or --list", hint=f"Known codes: {known_prefixes()}."
        )
    rule = get_rule(args.code)
    if rule is not None:
        _write(render_rule(rule))
        return 0
    prefix = args.code.strip().upper()
    matching = [code for code in rules if code.startswith(prefix)] if prefix else []
    if matching:
        _write("".join(_rule_line(code) for code in matching))
        return 0
    raise UsageError(
        f"unknown rule code '{args.code}'",
        hint=f"Known codes: {known_prefixes()}; `amldebug rule --list` lists them all.",
    )


def known_prefixes() -> str:
    """`AML0xx, AML1xx, AML2xx, AML3xx`: the families of codes in the catalogue."""
    families = sorted({code[:-2] + "xx" for code in all_rules()})
    return ", ".join(families)


def _rule_line(code: str) -> str:
    rule = all_rules()[code]
    fixable = "fix" if rule.fixable else "   "
    return f"{rule.code}  {rule.severity.label:<11} {fixable}  {rule.name}: {rule.summary}\n"


def _write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
