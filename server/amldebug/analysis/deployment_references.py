"""Rules over the files a deployment YAML names (AML403): each must exist where Azure ML looks.

Paths in a v2 deployment YAML are relative to the YAML's own folder (`code_configuration.code`,
`environment.conda_file`, `model.path`), and `scoring_script` is relative to the code folder.
A name that does not exist fails `az ml online-deployment create` before anything is built; a
close real name (`enviroment.yml` for `environment.yml`) is suggested.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import yaml

from amldebug.analysis.context import AnalysisContext
from amldebug.deployments.yaml_sources import compose, is_placeholder, mapping_value, yaml_kind
from amldebug.diagnostics import Diagnostic, Position, Range, Severity
from amldebug.rules import Rule

MISSING_REFERENCE = Rule(
    code="AML403",
    name="deployment-file-missing",
    severity=Severity.ERROR,
    summary="a deployment YAML names a file or folder that does not exist (or is not one)",
    why=(
        "`az ml online-deployment create` (and `batch-deployment create`) resolves "
        "`code_configuration.code`, `code_configuration.scoring_script`, "
        "`environment.conda_file` and `model.path` before it uploads anything; a name that does "
        "not exist stops the deployment at once. The paths are relative to the YAML's own "
        "folder (`scoring_script` to the code folder), not to where the command runs."
    ),
    fix="Correct the path (the message suggests the closest existing name) or create the file.",
    example=(
        "```yaml\n# wrong: the file is enviroment.yml\nenvironment:\n  conda_file: "
        "environment.yml\n```\n\n```yaml\nenvironment:\n  conda_file: enviroment.yml\n```"
    ),
)

RULES = (MISSING_REFERENCE,)

_MAX_SIBLINGS = 500


def analyze_deployment_references(text: str, context: AnalysisContext) -> list[Diagnostic]:
    if yaml_kind(text) not in ("online-deployment", "batch-deployment"):
        return []
    root = compose(text)
    if not isinstance(root, yaml.MappingNode):
        return []
    base = context.path.parent
    found: list[Diagnostic] = []
    code_root: Path | None = base
    code_configuration = mapping_value(root, "code_configuration")
    code_value = mapping_value(code_configuration, "code")
    code = _scalar_node(code_value)
    if code is not None and not code.value.startswith("azureml:"):
        code_root = _join(base, code.value)
        found.extend(_check(code, code_root, "code folder", want_folder=True))
    elif code_value is not None:
        code_root = None  # a registered code asset or a template placeholder: unknown here
    script = _scalar_node(mapping_value(code_configuration, "scoring_script"))
    if script is not None and code_root is not None and code_root.is_dir():
        found.extend(_check(script, _join(code_root, script.value), "scoring script"))
    conda = _scalar_node(mapping_value(mapping_value(root, "environment"), "conda_file"))
    if conda is not None:
        found.extend(_check(conda, _join(base, conda.value), "conda file"))
    model = _scalar_node(mapping_value(mapping_value(root, "model"), "path"))
    if model is not None and "://" not in model.value:
        # Model files are often made by a training run or a download step and never committed:
        # a missing model is reported only when a close name exists (a typo, not an artefact).
        found.extend(
            _check(model, _join(base, model.value), "model path", any_kind=True, typo_only=True)
        )
    return found


def _check(
    node: yaml.ScalarNode,
    path: Path,
    what: str,
    *,
    want_folder: bool = False,
    any_kind: bool = False,
    typo_only: bool = False,
) -> list[Diagnostic]:
    exists = path.exists() if any_kind else (path.is_dir() if want_folder else path.is_file())
    if exists:
        return []
    if path.exists() and not typo_only:
        # A pipe, a device or a file where a folder belongs: there, but not what Azure ML reads.
        kind = "a folder" if want_folder else "a regular file"
        message = f"The {what} '{node.value}' is not {kind} ({path})."
        return [
            Diagnostic(
                MISSING_REFERENCE.code, MISSING_REFERENCE.severity, message, _node_range(node)
            )
        ]
    message = f"The {what} '{node.value}' does not exist ({path} is missing)."
    suggestion = _closest(path)
    if suggestion is None and typo_only:
        return []
    if suggestion is not None:
        written = Path(node.value.strip()).parent / suggestion
        message += f" Did you mean '{written.as_posix()}'?"
    return [
        Diagnostic(MISSING_REFERENCE.code, MISSING_REFERENCE.severity, message, _node_range(node))
    ]


def _closest(path: Path) -> str | None:
    """The sibling whose name is closest to `path`'s, as the user would write it in the YAML."""
    try:
        with os.scandir(path.parent) as entries:
            names = [entry.name for _, entry in zip(range(_MAX_SIBLINGS), entries, strict=False)]
    except OSError:
        return None
    matches = difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
    return matches[0] if matches else None


def _scalar_node(node: yaml.Node | None) -> yaml.ScalarNode | None:
    if isinstance(node, yaml.ScalarNode) and node.value.strip() and not is_placeholder(node.value):
        return node
    return None


def _node_range(node: yaml.Node) -> Range:
    start, end = node.start_mark, node.end_mark
    if start is None or end is None:
        return Range.of(0, 0)
    return Range(Position(start.line, start.column), Position(end.line, end.column))


def _join(base: Path, relative: str) -> Path:
    return Path(os.path.normpath(base / os.path.expanduser(relative.strip())))
