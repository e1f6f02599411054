"""Does discovery pair each real entry script with the environment it really deploys with?

    python bench/corpus_pairing.py --checkout /work/corpus [--pairings bench/corpus/pairings.csv]
        [--json]

`--checkout` holds the repositories as `<owner>+<name>/` (bench/corpus/manifest.json says which
commit). `pairings.csv` is judged by reading each repository (deployment YAMLs, notebooks, v1
code, READMEs), never from the tool's output: one row per entry script and environment it is
deployed with (`repository,entry_script,kind,environment,evidence`). The environment is a conda
or requirements file relative to the repository, `registry:<name>` (a registered environment whose
file is not in the repository), `curated:<name>`, or `unknown`.

Discovery runs the way a user opens a cloned repository in the editor: `scan_deployments` on the
repository root, then, for each judged script, what the analysis uses
(`Project.deployments_of_entry_script`). Each row is
- correct: a deployment of the script builds that environment (for `unknown`: discovery names no
  file either);
- wrong: discovery pairs the script only with other files (listed);
- unknown: discovery finds the script but not its environment (an image, a variable, a
  registered environment) although the repository says which it is;
- missing: discovery does not take the file for an entry script at all.
Prints accuracy (correct / judged), each wrong, unknown and missing row on one line, files paired
beside the right one, and the scan time per repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))

from amldebug.deployments import Deployment, scan_deployments  # noqa: E402
from amldebug.project import FileKind, classify_file, discover_project  # noqa: E402

DEFAULT_PAIRINGS = REPO / "bench" / "corpus" / "pairings.csv"
STATUSES = ("correct", "wrong", "unknown", "missing")
# What discovery says when it knows no file: the environment is an image, a variable, a build.
UNKNOWN = "unknown"
_REFERENCE_PREFIXES = ("registry:", "curated:")


@dataclass(frozen=True)
class Pairing:
    repository: str
    entry_script: str
    kind: str
    environment: str
    evidence: str


def read_pairings(path: Path) -> list[Pairing]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Pairing(
                row["repository"].strip(),
                row["entry_script"].strip(),
                row["kind"].strip(),
                row["environment"].strip(),
                row["evidence"].strip(),
            )
            for row in csv.DictReader(handle)
            if row.get("repository", "").strip()
        ]


def reference_name(reference: str) -> str:
    """`azureml:AzureML-sklearn-1.0@latest`, `azureml://registries/azureml/environments/
    sklearn-1.5/labels/latest`, `my-env:1` -> the environment's name, lower case."""
    registry = re.search(r"/environments/([^/]+)", reference)
    name = registry.group(1) if registry else reference.removeprefix("azureml:")
    return re.split(r"[:@]", name, maxsplit=1)[0].strip().lower()


def environment_label(deployment: Deployment, root: Path) -> str:
    """What discovery pairs a deployment with, in the verdicts' vocabulary: a file relative to the
    repository, `ref:<name>` for a registered environment, or `unknown`. A file that does not
    exist builds nothing (AML403 reports it), so it counts as unknown."""
    environment = deployment.environment
    if environment is None:
        return UNKNOWN
    for path in (environment.conda_file, environment.requirements_file):
        if path is not None:
            if not path.is_file():
                return UNKNOWN
            try:
                return path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                return str(path)
    if environment.kind == "registry" and environment.reference:
        return "ref:" + reference_name(environment.reference)
    return UNKNOWN


def _matches(verdict: str, label: str) -> bool:
    if verdict.startswith(_REFERENCE_PREFIXES):
        return label == "ref:" + reference_name(verdict.split(":", 1)[1])
    if verdict == UNKNOWN:
        return label == UNKNOWN or label.startswith("ref:")
    return label == verdict


def judge(verdict: str, labels: list[str]) -> str:
    """correct / wrong / unknown for one judged environment and what discovery pairs."""
    if any(_matches(verdict, label) for label in labels):
        return "correct"
    if verdict == UNKNOWN:
        return "wrong"  # discovery names a file that no deployment builds with
    # Wrong only when discovery names another file (or, for a registered environment, another
    # name); a registered name where the repository shows the file is an unknown file.
    named_files = [label for label in labels if label != UNKNOWN and not label.startswith("ref:")]
    if named_files or (
        verdict.startswith(_REFERENCE_PREFIXES) and labels != [UNKNOWN] * len(labels)
    ):
        return "wrong"
    return "unknown"


def _describe(deployment: Deployment, root: Path) -> str:
    return f"{environment_label(deployment, root)} [{deployment.origin.describe(root)}]"


def pairing_report(checkout: Path | str, pairings: Path | str = DEFAULT_PAIRINGS) -> dict[str, Any]:
    """Accuracy of discovery's pairing against the judged pairings, per row and per repository."""
    checkout = Path(checkout)
    rows = read_pairings(Path(pairings))
    by_repository: dict[str, list[Pairing]] = {}
    for row in rows:
        by_repository.setdefault(row.repository, []).append(row)
    cases: list[dict[str, Any]] = []
    scans: dict[str, float] = {}
    for repository, judged in by_repository.items():
        root = checkout / repository.replace("/", "+")
        if not root.is_dir():
            for row in judged:
                cases.append(
                    {**row.__dict__, "status": "missing", "by_convention": False, "found": []}
                )
                cases[-1]["also_paired_with"] = []
            continue
        started = time.perf_counter()
        index = scan_deployments(root)
        scans[repository] = time.perf_counter() - started
        project = discover_project(root, index=index)
        verdicts_of: dict[str, set[str]] = {}
        for row in judged:
            verdicts_of.setdefault(row.entry_script, set()).add(row.environment)
        for row in judged:
            path = root / row.entry_script
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
            declared = index.for_entry_script(path)
            kind = classify_file(path, text, project)
            deployments = project.deployments_of_entry_script(path, text)
            found = [_describe(d, root) for d in deployments]
            labels = [environment_label(d, root) for d in deployments]
            if not declared and kind is not FileKind.ENTRY_SCRIPT:
                status = "missing"
            else:
                status = judge(row.environment, labels)
            # A right answer from the file-name conventions alone, not from a deployment.
            by_convention = status == "correct" and all(
                d.is_convention
                for d, label in zip(deployments, labels, strict=True)
                if _matches(row.environment, label)
            )
            # Files discovery pairs that no judged deployment of this script builds.
            others = sorted(
                {
                    label
                    for label in labels
                    if label != UNKNOWN
                    and not label.startswith("ref:")
                    and not any(_matches(v, label) for v in verdicts_of[row.entry_script])
                }
            )
            cases.append(
                {
                    **row.__dict__,
                    "status": status,
                    "by_convention": by_convention,
                    "found": found,
                    "also_paired_with": others,
                }
            )
    counts = {status: sum(1 for c in cases if c["status"] == status) for status in STATUSES}
    judged_count = len(cases)
    return {
        "judged": judged_count,
        "counts": counts,
        "accuracy": counts["correct"] / judged_count if judged_count else 0.0,
        "correct_by_convention": sum(1 for c in cases if c["by_convention"]),
        "cases": cases,
        "scan_seconds": scans,
    }


def print_report(report: dict[str, Any]) -> None:
    counts = report["counts"]
    print(
        f"pairing accuracy: {counts['correct']}/{report['judged']} = {report['accuracy']:.0%}"
        f"  (wrong {counts['wrong']}, environment unknown {counts['unknown']},"
        f" missing {counts['missing']}); correct from the file-name conventions alone:"
        f" {report['correct_by_convention']}"
    )
    for status in ("wrong", "unknown", "missing"):
        cases = [c for c in report["cases"] if c["status"] == status]
        if cases:
            print(f"\n{status}:")
        for case in cases:
            found = "; ".join(case["found"]) or "nothing"
            print(
                f"  {case['repository']}: {case['entry_script']} -> expected "
                f"{case['environment']} ({case['evidence']}); discovery: {found}"
            )
    extra = [c for c in report["cases"] if c["status"] == "correct" and c["also_paired_with"]]
    if extra:
        print("\ncorrect, but also paired with a file no judged deployment uses:")
        for case in extra:
            print(
                f"  {case['repository']}: {case['entry_script']} also -> "
                f"{', '.join(case['also_paired_with'])}"
            )
    print("\nscan time per repository:")
    for repository, seconds in sorted(report["scan_seconds"].items(), key=lambda i: -i[1]):
        print(f"  {seconds:7.3f} s  {repository}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", required=True, type=Path)
    parser.add_argument("--pairings", type=Path, default=DEFAULT_PAIRINGS)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = pairing_report(args.checkout, args.pairings)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
