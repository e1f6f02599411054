"""Deployments in words: what `amldebug project` prints and the entry script's hover shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amldebug.deployments.model import Deployment, EnvironmentSource
from amldebug.deployments.model import shown_path as _shown


def describe_environment(environment: EnvironmentSource | None, root: Path | None) -> str:
    if environment is None:
        return "none known (no environment file, no image): packages cannot be checked"
    if environment.kind == "conda" and environment.conda_file is not None:
        text = f"conda file {_shown(environment.conda_file, root)}"
    elif environment.kind == "pip" and environment.requirements_file is not None:
        text = f"pip requirements {_shown(environment.requirements_file, root)}"
    elif environment.kind == "registry":
        text = f"registered environment {environment.reference} (content unknown here)"
    elif environment.kind == "image":
        text = f"image {environment.image} only"
    else:
        text = "declared in a form amldebug cannot read (inline packages or a build context)"
    if environment.image and environment.kind == "conda":
        text += f" on image {environment.image}"
    return text


def describe_lines(deployment: Deployment, root: Path | None) -> list[str]:
    """Lines for one deployment: entry script, environment, code folder, models, and why."""
    entry = _shown(deployment.entry_script, root) if deployment.entry_script else "(none named)"
    lines = [f"{deployment.kind} deployment of {entry}"]
    if deployment.name:
        lines[0] += f" ('{deployment.name}')"
    lines.append(f"environment: {describe_environment(deployment.environment, root)}")
    if deployment.code_root is not None:
        lines.append(f"code folder: {_shown(deployment.code_root, root)}")
    for model in deployment.models:
        lines.append(f"model: {_shown(model.path, root)}")
    if deployment.model_reference:
        lines.append(f"model: registered {deployment.model_reference}")
    lines.append(f"found in: {deployment.origin.describe(root)}")
    if deployment.environment is not None and deployment.environment.origin != deployment.origin:
        lines.append(f"environment from: {deployment.environment.origin.describe(root)}")
    return lines


def deployment_as_json(deployment: Deployment, root: Path | None) -> dict[str, Any]:
    environment = deployment.environment

    def shown(path: Path | None) -> str | None:
        return None if path is None else _shown(path, root)

    return {
        "kind": deployment.kind,
        "name": deployment.name,
        "entryScript": shown(deployment.entry_script),
        "codeFolder": shown(deployment.code_root),
        "environment": None
        if environment is None
        else {
            "kind": environment.kind,
            "condaFile": shown(environment.conda_file),
            "requirementsFile": shown(environment.requirements_file),
            "image": environment.image,
            "reference": environment.reference,
            "from": environment.origin.describe(root),
        },
        "models": [shown(model.path) for model in deployment.models],
        "modelReference": deployment.model_reference,
        "from": deployment.origin.describe(root),
        "convention": deployment.is_convention,
    }
