"""Params of the debug-loop verbs, made from the option table (`amldebug.debug_loop.options`):
one field per option with an editor key, of the option's kind, so adding an option to the table
adds it here, to the generated TypeScript and to the JSON schema with no edit in this package.

Every field is optional (None: the table's default applies, see `request_from_lsp`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from amldebug.debug_loop.options import DebugLoopRequest, LoopOption, options_for, request_from_lsp
from amldebug.lsp.contract.wire import encode

_KINDS: dict[type, Any] = {
    str: str,
    int: int,
    float: float,
    bool: bool,
    list: list[str],
    dict: dict[str, str],
}


def _annotation(option: LoopOption) -> Any:
    if option.choices:
        return Literal[option.choices]
    return _KINDS[option.kind]


def _field(option: LoopOption) -> tuple[str, Any, Any]:
    sentence = f"{option.help[:1].upper()}{option.help[1:]}."
    if option.cli_negated:  # the help is the command line's `--no-...` flag's
        sentence = f"False: {option.help}."
    metadata: dict[str, Any] = {"wire": option.lsp_key, "doc": sentence}
    if option.setting:
        metadata["setting"] = option.setting
    if option.default not in (None, (), {}):
        metadata["default"] = option.default
    annotation = _annotation(option) | None
    return option.name, annotation, dataclasses.field(default=None, metadata=metadata)


def loop_params(verb: str, class_name: str) -> type:
    """The params dataclass of `verb`: its table options, plus `workspaceFolder` where it takes
    a project folder (relative settings paths start there)."""
    fields = []
    seen: set[str] = set()
    for option in options_for(verb):
        if option.lsp_key is None or option.lsp_key in seen:
            continue
        seen.add(option.lsp_key)
        fields.append(_field(option))
    if "folder" in seen:
        doc = "The workspace folder holding the project; relative settings paths start there."
        fields.append(
            ("workspace_folder", str | None, dataclasses.field(default=None, metadata={"doc": doc}))
        )
    cls = dataclasses.make_dataclass(
        class_name,
        fields,
        frozen=True,
        kw_only=True,
        namespace={"VERB": verb, "__doc__": f"Options of `amldebug {verb}` in the editor."},
    )
    cls.__module__ = __name__
    return cls


def request_of(params: Any) -> DebugLoopRequest:
    """The application layer's request for decoded params (range checks, defaults: the table's)."""
    return request_from_lsp(params.VERB, wire_options(params))


def wire_options(params: Any) -> dict[str, Any]:
    """The params as the options object they were decoded from (checked, unknown keys gone)."""
    options: dict[str, Any] = encode(params)
    return options


BuildParams = loop_params("build", "BuildParams")
RunParams = loop_params("run", "RunParams")
UpParams = loop_params("up", "UpParams")
InvokeParams = loop_params("invoke", "InvokeParams")
ReloadParams = loop_params("reload", "ReloadParams")
LogsParams = loop_params("logs", "LogsParams")
CommitParams = loop_params("commit", "CommitParams")
SyncParams = loop_params("sync", "SyncParams")
StopParams = loop_params("stop", "StopParams")
StatusParams = loop_params("status", "StatusParams")
PullParams = loop_params("pull", "PullParams")
ModelPathParams = loop_params("model-path", "ModelPathParams")
