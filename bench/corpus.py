"""Precision of `amldebug check` on real, public Azure ML projects (issue 8, item 7).

    python bench/corpus.py --checkout /work/corpus [--manifest M] [--verdicts V] [--json]
                           [--show-unjudged] [--no-fix] [--only OWNER/NAME]
    python bench/corpus.py --checkout /work/corpus --materialise /work/.mirror

The manifest (bench/corpus/manifest.json) names each repository, the exact commit and the folders
to check; the checkout holds each repository at `<checkout>/<owner>+<name>/` (third-party code is
never committed here). `--materialise MIRRORS` writes that checkout from bare git mirrors at
`MIRRORS/<owner>+<name>/repo` (what the search tool's `fetch` gives), skipping blobs the mirror
lacks (large files).

How it runs: every folder is checked by `python -m amldebug check --format json` as a subprocess
of this same interpreter, with this repository's `server/` first on PYTHONPATH and the
repository root as working folder, so diagnostic paths are relative to the repository. The time
per folder is that subprocess's wall clock, start-up included (what a user waits for).

What it prints:
- error and warning precision: tp / (tp + fp) over the diagnostics that have a verdict
  (verdicts match on repository, path relative to the repository, line and code);
- unjudged error/warning diagnostics (listed with --show-unjudged, for a person to judge);
- false negatives caught: `fn` verdict rows whose (repository, path, line, code) now appears;
- verdict rows no longer produced (a `tp` gone is lost recall; an `fp` gone is fixed noise);
- crashes: exit status other than 0/1, a traceback on stderr, or output that is not JSON;
- time per folder (median, max);
- `--fix` safety: each folder is fixed in a throwaway copy of its repository, and every pip or
  requirements name the fix adds is listed with whether amldebug's package knowledge knows it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import difflib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MANIFEST = REPO / "bench" / "corpus" / "manifest.json"
DEFAULT_VERDICTS = REPO / "bench" / "corpus" / "verdicts.csv"
JUDGED_SEVERITIES = ("error", "warning")
VERDICTS = ("tp", "fp", "fn")
# Files copied into the throwaway tree for `--fix`: big data and model files are never edited.
_MAX_COPIED_BYTES = 1_000_000
_ENV_FILE = re.compile(r"(\.ya?ml|\.txt)$", re.IGNORECASE)
_REQUIREMENT_NAME = re.compile(
    r"^\s*(?:-\s+)?([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:[=<>!~;@ ]|$)"
)

Key = tuple[str, str, int, str]  # repository, path relative to it, line, code


@dataclass
class Verdict:
    key: Key
    verdict: str
    note: str


@dataclass
class FolderRun:
    repository: str
    folder: str
    seconds: float = 0.0
    exit_status: int | None = None
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    crash: str | None = None
    missing: bool = False


@dataclass
class AddedName:
    repository: str
    folder: str
    file: str
    section: str  # "pip" or "conda"
    name: str
    known: bool


# -- manifest, verdicts, checkout -----------------------------------------------------------------


def checkout_dir(checkout: Path, repository: str) -> Path:
    return checkout / repository.replace("/", "+")


def load_manifest(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data["repositories"])


def load_verdicts(path: Path) -> dict[Key, Verdict]:
    if not path.is_file():
        return {}
    verdicts: dict[Key, Verdict] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            verdict = (row.get("verdict") or "").strip().lower()
            if verdict not in VERDICTS:
                raise SystemExit(f"{path}:{number}: verdict must be one of {VERDICTS}: {row}")
            key = (row["repository"], row["path"], int(row["line"]), row["code"])
            verdicts[key] = Verdict(key, verdict, row.get("note") or "")
    return verdicts


def materialise(manifest: list[dict[str, Any]], checkout: Path, mirrors: Path) -> None:
    """Write each manifest commit's files into the checkout from a bare mirror."""
    for entry in manifest:
        name = str(entry["name"])
        base = mirrors / name.replace("/", "+") / "repo"
        git_dir = base / ".git" if (base / ".git").is_dir() else base
        if not git_dir.is_dir():
            print(f"corpus: no mirror for {name} at {base}; fetch it first", file=sys.stderr)
            continue
        only = [str(prefix) for prefix in entry.get("extract_only", [])]
        written, missing = _extract_commit(
            git_dir, str(entry["commit"]), checkout_dir(checkout, name), only
        )
        print(f"corpus: {name}: {written} files written, {missing} absent from the mirror")


def _extract_commit(git_dir: Path, commit: str, target: Path, only: list[str]) -> tuple[int, int]:
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", commit, *only],
        capture_output=True,
        check=True,
    ).stdout
    entries: list[tuple[str, str]] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, raw_path = record.split(b"\t", 1)
        mode, kind, object_id = meta.split()
        if kind == b"blob" and mode != b"120000":  # symbolic links are left out
            entries.append((object_id.decode(), raw_path.decode("utf-8", "replace")))
    reader = subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert reader.stdin is not None and reader.stdout is not None
    written = missing = 0
    for blob, relative in entries:
        reader.stdin.write(blob.encode() + b"\n")
        reader.stdin.flush()
        header = reader.stdout.readline().split()
        if len(header) < 3:  # "<sha> missing": a large file the snapshot left out
            missing += 1
            continue
        data = reader.stdout.read(int(header[2]))
        reader.stdout.read(1)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
        written += 1
    reader.stdin.close()
    reader.wait()
    return written, missing


# -- running the checker --------------------------------------------------------------------------


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    server = str(REPO / "server")
    env["PYTHONPATH"] = server + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("AMLDEBUG_RULES_URL", None)
    return env


def run_check(
    root: Path, folder: str, *, fix: bool = False
) -> tuple[float, subprocess.CompletedProcess[str]]:
    command = [sys.executable, "-m", "amldebug", "check", "--format", "json", "--no-color"]
    if fix:
        command.append("--fix")
    command.append(folder)
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=root, env=_environment(), capture_output=True, text=True, timeout=300
    )
    return time.perf_counter() - started, completed


def check_folder(checkout: Path, repository: str, folder: str) -> FolderRun:
    run = FolderRun(repository, folder)
    root = checkout_dir(checkout, repository)
    if not (root / folder).is_dir():
        run.missing = True
        return run
    try:
        run.seconds, completed = run_check(root, folder)
    except subprocess.TimeoutExpired:
        run.crash = "timed out after 300 s"
        return run
    run.exit_status = completed.returncode
    problems = []
    if completed.returncode not in (0, 1):
        problems.append(f"exit status {completed.returncode}")
    if "Traceback (most recent call last)" in completed.stderr:
        problems.append("traceback")
    try:
        run.diagnostics = list(json.loads(completed.stdout or "[]"))
    except json.JSONDecodeError:
        problems.append("output is not JSON")
    if problems:
        tail = completed.stderr.strip().splitlines()[-3:]
        run.crash = "; ".join(problems) + (": " + " | ".join(tail) if tail else "")
    return run


def diagnostic_key(repository: str, root: Path, diagnostic: dict[str, Any]) -> Key:
    path = Path(str(diagnostic["file"]))
    if path.is_absolute():
        with contextlib.suppress(ValueError):
            path = path.relative_to(root.resolve())
    return (repository, path.as_posix(), int(diagnostic["line"]), str(diagnostic["code"]))


# -- `--fix` safety -------------------------------------------------------------------------------


def known_distributions() -> set[str]:
    """Every distribution name amldebug's package knowledge holds.

    The distribution side of the import table, both sides of the dependency and alias tables,
    and whatever `known_distributions()` the package module offers (the generated table or the
    resolver's data), so the benchmark follows the package knowledge as it grows.
    """
    sys.path.insert(0, str(REPO / "server"))
    from amldebug.analysis import import_map

    canonical = import_map.canonical_distribution
    names: set[str] = set()
    for providers in getattr(import_map, "IMPORT_DISTRIBUTIONS", {}).values():
        names.update(providers)
    for distribution, requirements in getattr(import_map, "DISTRIBUTION_REQUIRES", {}).items():
        names.add(distribution)
        names.update(requirements)
    for alias, target in getattr(import_map, "SAME_DISTRIBUTION", {}).items():
        names.update((alias, target))
    function = getattr(import_map, "known_distributions", None)
    if callable(function):
        names.update(str(name) for name in function())
    return {canonical(name) for name in names}


def _is_known(name: str, known: set[str]) -> bool:
    sys.path.insert(0, str(REPO / "server"))
    from amldebug.analysis import import_map

    canonical = import_map.canonical_distribution(name)
    if canonical in known:
        return True
    is_known = getattr(import_map, "is_known_distribution", None)
    return bool(is_known(canonical)) if callable(is_known) else False


def _snapshot(root: Path) -> dict[Path, tuple[int, int]]:
    state = {}
    for path in root.rglob("*"):
        if path.is_file() and _ENV_FILE.search(path.name):
            stat = path.stat()
            state[path] = (stat.st_size, stat.st_mtime_ns)
    return state


def _copy_repository(source: Path, target: Path) -> None:
    def ignore(folder: str, names: list[str]) -> list[str]:
        skipped = []
        for name in names:
            path = Path(folder) / name
            if name == ".git" or (path.is_file() and path.stat().st_size > _MAX_COPIED_BYTES):
                skipped.append(name)
        return skipped

    shutil.copytree(source, target, ignore=ignore, symlinks=True)


def added_requirement_names(path: str, before: str, after: str) -> list[tuple[str, str]]:
    """(section, name) of every dependency `after` has and `before` lacks.

    Conda files are read with amldebug's own conda model (so a conda `- pip` entry is told
    apart from a pip name); requirements files line by line.
    """
    if path.lower().endswith((".yml", ".yaml")):
        sys.path.insert(0, str(REPO / "server"))
        from amldebug.analysis.conda_model import parse_conda_environment

        def entries(text: str) -> set[tuple[str, str]]:
            environment = parse_conda_environment(text)
            return {
                (str(getattr(d.section, "value", d.section)), d.name)
                for d in environment.dependencies
                if d.name
            }

        return sorted(entries(after) - entries(before))
    names = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("+ "):
            match = _REQUIREMENT_NAME.match(line[2:].split("#", 1)[0])
            if match:
                names.append(("pip", match.group(1)))
    return names


def fix_additions(
    checkout: Path, repository: str, folders: list[str], known: set[str]
) -> tuple[list[AddedName], list[str]]:
    """Names that `check --fix` adds to environment files, folder by folder, in a copy."""
    added: list[AddedName] = []
    crashes: list[str] = []
    source = checkout_dir(checkout, repository)
    with tempfile.TemporaryDirectory(prefix="amldebug-corpus-") as scratch:
        root = Path(scratch) / "repo"
        _copy_repository(source, root)
        for folder in folders:
            if not (root / folder).is_dir():
                continue
            before_state = _snapshot(root)
            before_text = {
                path: path.read_text(encoding="utf-8", errors="replace") for path in before_state
            }
            try:
                _seconds, completed = run_check(root, folder, fix=True)
            except subprocess.TimeoutExpired:
                crashes.append(f"{repository}/{folder} --fix: timed out")
                continue
            if completed.returncode not in (0, 1) or "Traceback (most" in completed.stderr:
                tail = " | ".join(completed.stderr.strip().splitlines()[-3:])
                crashes.append(f"{repository}/{folder} --fix: exit {completed.returncode}: {tail}")
            for path, state in _snapshot(root).items():
                if before_state.get(path) == state:
                    continue
                after = path.read_text(encoding="utf-8", errors="replace")
                relative = path.relative_to(root).as_posix()
                old = before_text.get(path, "")
                for section, name in added_requirement_names(relative, old, after):
                    added.append(
                        AddedName(
                            repository, folder, relative, section, name, _is_known(name, known)
                        )
                    )
    return added, crashes


# -- the report -----------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, Any]:
    manifest = load_manifest(args.manifest)
    if args.only:
        manifest = [entry for entry in manifest if entry["name"] in args.only]
    verdicts = load_verdicts(args.verdicts)
    repositories = {str(entry["name"]) for entry in manifest}
    verdicts = {key: verdict for key, verdict in verdicts.items() if key[0] in repositories}
    runs: list[FolderRun] = []
    seen: dict[Key, dict[str, Any]] = {}
    for entry in manifest:
        repository = str(entry["name"])
        root = checkout_dir(args.checkout, repository)
        for folder in entry["folders"]:
            run = check_folder(args.checkout, repository, str(folder))
            runs.append(run)
            for diagnostic in run.diagnostics:
                key = diagnostic_key(repository, root, diagnostic)
                seen.setdefault(key, diagnostic)

    counts = {severity: Counter[str]() for severity in JUDGED_SEVERITIES}
    unjudged: list[dict[str, Any]] = []
    judged: list[dict[str, Any]] = []
    false_positives: Counter[str] = Counter()
    for key, diagnostic in sorted(seen.items()):
        severity = str(diagnostic["severity"])
        if severity not in JUDGED_SEVERITIES:
            continue
        verdict = verdicts.get(key)
        if verdict is None:
            counts[severity]["unjudged"] += 1
            unjudged.append(_row(key, diagnostic))
            continue
        # A missed problem now reported is a true positive.
        counts[severity]["fp" if verdict.verdict == "fp" else "tp"] += 1
        judged.append({**_row(key, diagnostic), "verdict": verdict.verdict, "note": verdict.note})
        if verdict.verdict == "fp":
            false_positives[key[3]] += 1

    fn_rows = [v for v in verdicts.values() if v.verdict == "fn"]
    fn_caught = [v for v in fn_rows if v.key in seen]
    gone = [v for v in verdicts.values() if v.verdict in ("tp", "fp") and v.key not in seen]
    checked = [run for run in runs if not run.missing]
    times = [run.seconds for run in checked if run.crash is None]
    crashes = [f"{run.repository}/{run.folder}: {run.crash}" for run in runs if run.crash]

    added: list[AddedName] = []
    if not args.no_fix:
        known = known_distributions()
        # Only folders with a fixable diagnostic can change under `--fix`.
        fixable = {
            (run.repository, run.folder)
            for run in runs
            if any(diagnostic.get("fixable") for diagnostic in run.diagnostics)
        }
        for entry in manifest:
            folders = [
                str(folder)
                for folder in entry["folders"]
                if (str(entry["name"]), str(folder)) in fixable
            ]
            if not folders:
                continue
            names, fix_crashes = fix_additions(args.checkout, str(entry["name"]), folders, known)
            added.extend(names)
            crashes.extend(fix_crashes)

    return {
        "folders": len(runs),
        "missing_folders": [f"{run.repository}/{run.folder}" for run in runs if run.missing],
        "diagnostics": {
            severity: sum(1 for d in seen.values() if d["severity"] == severity)
            for severity in ("error", "warning", "information", "hint")
        },
        "error": _precision(counts["error"]),
        "warning": _precision(counts["warning"]),
        "unjudged": unjudged,
        "judged": judged,
        "false_positives_by_code": dict(false_positives.most_common()),
        "fn_rows": len(fn_rows),
        "fn_caught": [_verdict_row(v) for v in fn_caught],
        "verdicts_no_longer_produced": [_verdict_row(v) for v in gone],
        "crashes": crashes,
        "seconds_per_folder": {
            "median": round(statistics.median(times), 3) if times else None,
            "max": round(max(times), 3) if times else None,
            "total": round(sum(times), 1),
        },
        "slowest": [
            f"{run.repository}/{run.folder}: {run.seconds:.2f} s"
            for run in sorted(checked, key=lambda r: -r.seconds)[:3]
        ],
        "fix_added_names": [vars(name) for name in added],
        "fix_added_unknown": [
            vars(name) for name in added if not name.known and name.section == "pip"
        ],
    }


def _precision(counter: Counter[str]) -> dict[str, Any]:
    judged = counter["tp"] + counter["fp"]
    return {
        "tp": counter["tp"],
        "fp": counter["fp"],
        "unjudged": counter["unjudged"],
        "precision": round(counter["tp"] / judged, 3) if judged else None,
    }


def _row(key: Key, diagnostic: dict[str, Any]) -> dict[str, Any]:
    repository, path, line, code = key
    return {
        "repository": repository,
        "path": path,
        "line": line,
        "code": code,
        "severity": diagnostic["severity"],
        "message": diagnostic["message"],
    }


def _verdict_row(verdict: Verdict) -> dict[str, Any]:
    repository, path, line, code = verdict.key
    return {
        "repository": repository,
        "path": path,
        "line": line,
        "code": code,
        "verdict": verdict.verdict,
        "note": verdict.note,
    }


def print_report(report: dict[str, Any], *, show_unjudged: bool) -> None:
    def share(figures: dict[str, Any]) -> str:
        precision = figures["precision"]
        percent = "n/a" if precision is None else f"{100 * precision:.1f} %"
        return (
            f"{percent} ({figures['tp']} tp / {figures['tp'] + figures['fp']} judged, "
            f"{figures['unjudged']} unjudged)"
        )

    timing = report["seconds_per_folder"]
    print(f"folders checked: {report['folders'] - len(report['missing_folders'])}")
    for missing in report["missing_folders"]:
        print(f"  missing from the checkout: {missing} (run --materialise, see README)")
    print(f"diagnostics: {report['diagnostics']}")
    print(f"error precision:   {share(report['error'])}")
    print(f"warning precision: {share(report['warning'])}")
    print(f"false positives by code: {report['false_positives_by_code']}")
    print(f"unjudged error/warning diagnostics: {len(report['unjudged'])}")
    if show_unjudged:
        for row in report["unjudged"]:
            print(
                f"  {row['repository']},{row['path']},{row['line']},{row['code']}"
                f"  [{row['severity']}] {row['message']}"
            )
    print(f"false negatives caught: {len(report['fn_caught'])} of {report['fn_rows']} fn rows")
    for row in report["fn_caught"]:
        print(f"  {row['repository']}:{row['path']}:{row['line']} {row['code']}")
    gone = report["verdicts_no_longer_produced"]
    lost = [row for row in gone if row["verdict"] == "tp"]
    print(f"verdicts no longer produced: {len(gone)} ({len(lost)} tp lost)")
    for row in lost:
        print(f"  tp lost: {row['repository']}:{row['path']}:{row['line']} {row['code']}")
    print(
        f"time per folder: median {timing['median']} s, max {timing['max']} s "
        f"(total {timing['total']} s; subprocess wall clock incl. start-up)"
    )
    print(f"crashes: {len(report['crashes'])}")
    for crash in report["crashes"]:
        print(f"  {crash}")
    added = report["fix_added_names"]
    unknown = report["fix_added_unknown"]
    print(f"--fix added names: {len(added)} ({len(unknown)} unknown pip names)")
    for row in added:
        state = "known" if row["known"] else "UNKNOWN"
        print(
            f"  {state}: {row['section']} {row['name']} in {row['repository']}:{row['file']}"
            f" ({row['folder']})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, required=True, help="folder of the repositories")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--verdicts", type=Path, default=DEFAULT_VERDICTS)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--show-unjudged", action="store_true", help="list unjudged diagnostics")
    parser.add_argument("--no-fix", action="store_true", help="skip the `--fix` safety pass")
    parser.add_argument("--only", action="append", help="only this repository (repeatable)")
    parser.add_argument(
        "--materialise", type=Path, metavar="MIRRORS", help="write the checkout from bare mirrors"
    )
    args = parser.parse_args(argv)

    if args.materialise is not None:
        manifest = load_manifest(args.manifest)
        if args.only:
            manifest = [entry for entry in manifest if entry["name"] in args.only]
        materialise(manifest, args.checkout, args.materialise)
        return 0
    if not args.checkout.is_dir():
        print(
            f"corpus: no checkout at {args.checkout}. Create it from the manifest first "
            "(bench/corpus/README.md: fetch each repository, then --materialise).",
            file=sys.stderr,
        )
        return 2
    report = measure(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report, show_unjudged=args.show_unjudged)
    return 1 if report["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
