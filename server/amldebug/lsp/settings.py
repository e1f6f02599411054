"""The editor settings the language server reads, and how they arrive.

Two ways in, one shape. `initializationOptions` is
`{"trusted": bool, "settings": {"entryScript": str, "condaFile": str, "select": [str],
"ignore": [str]}}`
and `workspace/configuration` for section `"amldebug"` (or a `workspace/didChangeConfiguration`
push of `{"amldebug": {...}}`) returns the same inner object. Dotted keys (`"amldebug.select"`)
and a nested `{"amldebug": {...}}` are accepted too, because clients differ in what they send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amldebug.analysis import RuleSelection

SECTION = "amldebug"


@dataclass(frozen=True)
class ServerSettings:
    # Relative paths are taken relative to the workspace folder that holds the document.
    entry_script: str | None = None
    conda_file: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def selection(self) -> RuleSelection:
        return RuleSelection.parse(self.select, self.ignore)

    def explicit_path(self, value: str | None, workspace_root: Path | None) -> Path | None:
        """A setting's path made absolute against the workspace folder (None when unset)."""
        if not value:
            return None
        path = Path(value).expanduser()
        if path.is_absolute() or workspace_root is None:
            return path
        return workspace_root / path


def parse_settings(raw: Any) -> ServerSettings:
    """Settings from whatever a client sent; unknown keys and wrong types are ignored."""
    values = _flatten(raw)
    return ServerSettings(
        entry_script=_as_text(values.get("entryScript")),
        conda_file=_as_text(values.get("condaFile")),
        select=_as_codes(values.get("select")),
        ignore=_as_codes(values.get("ignore")),
    )


def _flatten(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        if key == SECTION and isinstance(value, Mapping):
            values.update(_flatten(value))
        elif key.startswith(SECTION + "."):
            values[key[len(SECTION) + 1 :]] = value
        else:
            values[key] = value
    return values


def _as_text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _as_codes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(item).strip().upper() for item in value if str(item).strip())
