"""Deployments that shell scripts create with the Azure ML CLI, changing a YAML with `--set`:

    az ml online-deployment create -f $BASE_PATH/deployment.yml \\
      --set code_configuration.scoring_script=single-file-to-file-score.py
    az ml online-deployment update -n blue --set code_configuration.code=code-custom

Only what changes which script runs with which environment is kept (`code_configuration.code`,
`code_configuration.scoring_script`, `environment`, `name`). Paths are from the script's folder
(where such scripts are run); `NAME=value` lines with literal values expand `$NAME`, and a path
that still holds a variable is left out rather than guessed.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from amldebug.deployments.model import Deployment, DeploymentKind, Origin
from amldebug.deployments.yaml_sources import MAX_DEPLOYMENT_TEXT, deployments_from_yaml
from amldebug.project_files import read_project_file

MAX_SHELL_TEXT = 512 * 1024
_COMMAND = re.compile(r"\baz\s+ml\s+(online|batch)-deployment\s+(create|update)\b")
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=(\S*)\s*(?:#.*)?$")
_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")
_PAIRING_SETTINGS = frozenset(
    {"code_configuration.code", "code_configuration.scoring_script", "environment"}
)
_KEPT_SETTINGS = _PAIRING_SETTINGS | {"name"}


@dataclass(frozen=True)
class CliDeployment:
    """One `az ml <kind>-deployment create|update` command of a shell script."""

    script: Path
    line: int  # 0-based, where the command starts
    kind: DeploymentKind
    action: str  # "create" or "update"
    file: Path | None
    name: str | None
    settings: tuple[tuple[str, str], ...]
    # `--package-model`: Azure ML packages the model and adds the inference server.
    packaged: bool = False

    @property
    def how(self) -> str:
        return f"az ml {self.kind}-deployment {self.action} in a shell script"


def mentions_cli_deployment(text: str) -> bool:
    return _COMMAND.search(text) is not None


def cli_deployments_from_shell(path: Path, text: str) -> list[CliDeployment]:
    """The deployment commands of a shell script, in order, with `$NAME`s expanded."""
    if len(text) > MAX_SHELL_TEXT or not mentions_cli_deployment(text):
        return []
    variables: dict[str, str] = {}
    found: list[CliDeployment] = []
    for line, command in _logical_lines(text):
        assignment = _ASSIGNMENT.match(command)
        if assignment is not None:
            value = assignment.group(2).strip("\"'")
            if "$(" not in value and "`" not in value:
                variables[assignment.group(1)] = _expand(value, variables)
            continue
        match = _COMMAND.search(command)
        if match is None:
            continue
        try:
            words = shlex.split(command[match.end() :], comments=True)
        except ValueError:
            continue
        parsed = _parse_words(path, words, variables)
        if parsed is None:
            continue
        file, name, settings = parsed
        kind: DeploymentKind = "batch" if match.group(1) == "batch" else "online"
        packaged = "--package-model" in words
        found.append(
            CliDeployment(
                path, line, kind, match.group(2), file, name, tuple(settings.items()), packaged
            )
        )
    return found


def deployments_from_cli_commands(commands: list[CliDeployment]) -> list[Deployment]:
    """The deployments the commands make that their YAML alone does not say: a YAML with its
    `--set` values, an `update -n NAME --set ...` applied to the same script's `create` of NAME.
    The YAMLs are read here (small, and a few per tree), so an edited YAML is never stale."""
    made: list[Deployment] = []
    created: dict[tuple[Path, str], tuple[Path, dict[str, str]]] = {}
    for command in commands:
        settings = dict(command.settings)
        if command.file is not None:
            yaml_file = command.file
        elif command.name is not None and (command.script, command.name) in created:
            yaml_file, earlier = created[(command.script, command.name)]
            settings = {**earlier, **settings}
        else:
            continue
        text = read_project_file(yaml_file, root=None, max_bytes=MAX_DEPLOYMENT_TEXT).text
        if text is None:
            continue
        origin = Origin(command.script, command.line, f"{command.how}, with {yaml_file.name}")
        deployments = deployments_from_yaml(yaml_file, text, settings, origin)
        for deployment in deployments:
            name = command.name or deployment.name
            if name:
                created[(command.script, name)] = (yaml_file, settings)
            if _PAIRING_SETTINGS & settings.keys():
                made.append(deployment)
    return made


def _parse_words(
    path: Path, words: list[str], variables: dict[str, str]
) -> tuple[Path | None, str | None, dict[str, str]] | None:
    file: Path | None = None
    name: str | None = None
    settings: dict[str, str] = {}
    position = 0
    while position < len(words):
        word = words[position]
        following = words[position + 1] if position + 1 < len(words) else ""
        if word in ("-f", "--file"):
            value = _expand(following, variables)
            file = None if "$" in value else path.parent / value
            position += 2
        elif word in ("-n", "--name"):
            name = _expand(following, variables)
            position += 2
        elif word == "--set":
            position += 1
            while position < len(words) and not words[position].startswith("-"):
                key, _, value = words[position].partition("=")
                if key in _KEPT_SETTINGS:
                    settings[key] = _expand(value, variables)
                position += 1
        else:
            position += 1
    if file is None and name is None:
        return None
    if name is not None and "$" in name:
        name = None
    return file, name, settings


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the 0-based line it starts on."""
    joined: list[tuple[int, str]] = []
    start = 0
    parts: list[str] = []
    for number, line in enumerate(text.splitlines()):
        if not parts:
            start = number
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(line)
        joined.append((start, " ".join(parts)))
        parts = []
    if parts:
        joined.append((start, " ".join(parts)))
    return joined


def _expand(value: str, variables: dict[str, str]) -> str:
    """`$NAME` / `${NAME}` replaced by known literal values; unknown ones stay as they are."""
    return _VARIABLE.sub(
        lambda match: variables.get(match.group(1) or match.group(2), match.group(0)), value
    )
