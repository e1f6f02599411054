"""`amldebug project [DIR]`: the deployments discovery finds, with where each part came from,
and the one project the debug loop would run. A thin adapter over `amldebug.deployments`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from amldebug.deployments import scan_deployments
from amldebug.deployments.describe import deployment_as_json, describe_lines
from amldebug.deployments.model import shown_path
from amldebug.errors import UsageError
from amldebug.project import discover_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "project",
        help="show the deployments found in a folder and why (entry script, environment, models)",
        description=(
            "List every deployment found under DIR (v2 deployment YAMLs, v1 inferenceconfig.json, "
            "SDK calls in .py files and notebooks, then the file-name conventions), each with its "
            "entry script, environment, code folder and models and the file each came from; then "
            "the project that `amldebug up DIR` would run."
        ),
    )
    parser.add_argument(
        "folder", nargs="?", default=".", metavar="DIR", help="folder to look in (default: .)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run_project)


def run_project(args: argparse.Namespace) -> int:
    folder = Path(args.folder).expanduser()
    if not folder.is_dir():
        raise UsageError(f"not a folder: {args.folder}", hint="Pass the folder of a project.")
    root = folder.absolute()
    index = scan_deployments(root)
    project = discover_project(root, index=index)
    if args.format == "json":
        payload = {
            "root": str(root),
            "deployments": [deployment_as_json(d, root) for d in index.deployments],
            "truncated": index.truncated,
            "debugTarget": {
                "entryScript": _shown(project.entry_script, root),
                "condaFile": _shown(project.conda_file, root),
                "stepsFile": _shown(project.steps_file, root),
                "models": [_shown(path, root) for path in project.model_paths],
                "baseImage": project.base_image,
            },
            "problems": list(project.problems),
        }
        print(json.dumps(payload, indent=2))
        return 0
    count = len(index.deployments)
    print(f"{count} deployment{'' if count == 1 else 's'} under {root}")
    for deployment in index.deployments:
        first, *rest = describe_lines(deployment, root)
        print(f"\n- {first}")
        for line in rest:
            print(f"    {line}")
    if index.truncated:
        print("\nThe folder has too many files: the search stopped early, some may be missing.")
    print("\nThe debug loop (`amldebug up`) here runs:")
    print(f"    entry script: {_shown(project.entry_script, root) or 'none found'}")
    print(f"    conda file: {_shown(project.conda_file, root) or 'none found'}")
    if project.model_paths:
        print(f"    models: {', '.join(str(_shown(p, root)) for p in project.model_paths)}")
    for problem in project.problems:
        print(f"    note: {problem}")
    return 0


def _shown(path: Path | None, root: Path) -> str | None:
    return None if path is None else shown_path(path, root)
