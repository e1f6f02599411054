"""How a container was asked for, recorded on it, so `update` starts its successor the same way
(issue 9, item 16: `--no-mount`, `--env`, `--tag`, ports and `--gpus` were forgotten).

One label, `amldebug.request`, holds JSON of the options the table marks as recorded. It never
holds a host path (a path option is kept only when it lies inside the project, relative to it) or
a secret: of `--env` only the names are kept; the values are read back from the container's own
environment when it is replaced. `docker inspect` shows labels to anyone who can reach the engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amldebug.debug_loop.options import DebugLoopRequest, LoopOption, options_for
from amldebug.project import Project

LABEL_REQUEST = "amldebug.request"
_VERSION = 1
_CA_BUNDLE_WORDS = ("auto", "none")


def _recorded_options() -> tuple[LoopOption, ...]:
    return tuple(o for o in options_for("update") if o.recorded != "no")


def request_label(request: DebugLoopRequest, project: Project) -> dict[str, str]:
    """The label recording `request` on the container it starts."""
    record: dict[str, Any] = {"version": _VERSION}
    for option in _recorded_options():
        value = getattr(request, option.name)
        if option.recorded == "names":
            record[option.name] = sorted(value)
        elif option.recorded == "path":
            kept = _inside(value, project)
            if kept is not None:
                record[option.name] = kept
        else:
            record[option.name] = value
    return {LABEL_REQUEST: json.dumps(record, sort_keys=True, separators=(",", ":"))}


def _inside(value: Any, project: Project) -> Any:
    """A path option as a path relative to the project (a list: each such path), or None when
    it names something outside (a host path stays off the label)."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        kept = [_relative(v, project) for v in value]
        return kept if all(k is not None for k in kept) else None
    if value in _CA_BUNDLE_WORDS:
        return value
    return _relative(value, project)


def _relative(value: str, project: Project) -> str | None:
    root = project.root.resolve()
    path = Path(value).expanduser()
    resolved = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not resolved.is_relative_to(root):
        return None
    return resolved.relative_to(root).as_posix()


def recorded_values(
    labels: Mapping[str, str], environment: Mapping[str, str], project_root: Path
) -> dict[str, Any]:
    """The option values a container was started with (request field names), from its label,
    env values from its environment, paths made absolute again; {} for a container without a
    readable record."""
    try:
        record = json.loads(labels.get(LABEL_REQUEST, ""))
    except ValueError:
        return {}
    if not isinstance(record, dict) or record.get("version") != _VERSION:
        return {}
    values: dict[str, Any] = {}
    for option in _recorded_options():
        if option.name not in record:
            continue
        value = record[option.name]
        if option.recorded == "names":
            names = value if isinstance(value, list) else []
            values[option.name] = {n: environment[n] for n in names if n in environment}
        elif option.recorded == "path" and value not in _CA_BUNDLE_WORDS:
            if isinstance(value, list):
                values[option.name] = tuple(str(project_root / v) for v in value)
            elif isinstance(value, str):
                values[option.name] = str(project_root / value)
        else:
            values[option.name] = value
    return values


def with_recorded(request: DebugLoopRequest, recorded: Mapping[str, Any]) -> DebugLoopRequest:
    """`request` with the recorded values of the options its caller did not set; an environment
    variable set now wins over the recorded one of that name."""
    changes: dict[str, Any] = {}
    for name, value in recorded.items():
        if name == "env":
            changes[name] = {**value, **request.env}
        elif name not in request.given:
            changes[name] = tuple(value) if isinstance(value, list) else value
    return request.with_values(**changes)
