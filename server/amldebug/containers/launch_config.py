"""The `.vscode/launch.json` attach entry: generate it and merge it into a file people edit by hand.

launch.json is JSON with comments (JSONC): `//` and `/* */` comments and trailing commas. The
merge is text surgery over a small scanner of our own rather than load-and-dump, so every comment,
every other configuration and the file's formatting survive; only our entry is added or changed.

Public API (used by the CLI, the language server and the Docker helpers):
  docker_debug_configuration(debug_port, host) / process_debug_configuration(debug_port, host)
  debug_configuration(runtime, debug_port, host)
  merge_launch_config(existing_text, configuration) -> LaunchConfigEdit   (pure)
The JSONC scanner and parser (`parse_jsonc`, `strip_jsonc`) are jsonc.py; the file adapter
(reading and writing `.vscode/launch.json` safely) is launch_json_file.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from amldebug.containers.jsonc import (
    JsoncError,
    JsoncMember,
    JsoncNode,
    JsoncParseError,
    JsoncToken,
    line_and_column,
    parse_with_tokens,
)
from amldebug.project import CONTAINER_APP_ROOT

DOCKER_CONFIGURATION_NAME = "Azure ML: Docker Debug"
PROCESS_CONFIGURATION_NAME = "Azure ML: Local Process Debug"
# 127.0.0.1, never "localhost": the ports are published on 127.0.0.1 (the bind default), and
# "localhost" may resolve to ::1 first (Node, hence VS Code, keeps the resolver's order), where
# nothing listens: ECONNREFUSED on a working container. The extension's fallback uses the same.
DEBUG_HOST = "127.0.0.1"
# Our wrapper and launcher run under the user's code (the launcher is the worker's __main__, the
# wrapper's init() calls the user's): debugpy hides them from the call stack by these rules.
HIDDEN_FRAMES = ("**/amldebug_entry.py", "**/amldebug_launch.py")
LAUNCH_JSON_VERSION = "0.2.0"
_DEFAULT_INDENT = "    "  # what VS Code writes into a new launch.json
# In an existing entry of ours, only these are reset: without them the debugger cannot attach.
_ENFORCED_KEYS = frozenset({"type", "request", "connect"})


def _attach_entry(
    name: str, debug_port: int, host: str, path_mappings: list[dict[str, str]] | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "type": "debugpy",
        "request": "attach",
        "connect": {"host": host, "port": debug_port},
    }
    if path_mappings is not None:
        entry["pathMappings"] = path_mappings
    entry["justMyCode"] = True
    entry["rules"] = [{"path": pattern, "include": False} for pattern in HIDDEN_FRAMES]
    return entry


def docker_debug_configuration(
    debug_port: int = 5678, host: str = DEBUG_HOST, project_subfolder: str = ""
) -> dict[str, Any]:
    """The attach entry for a debug container: the project folder mapped onto the app root inside
    it. `project_subfolder` is the project's folder inside the workspace folder whose launch.json
    holds the entry (`deploy` gives `${workspaceFolder}/deploy`)."""
    local_root = "${workspaceFolder}" + (f"/{project_subfolder}" if project_subfolder else "")
    mappings = [{"localRoot": local_root, "remoteRoot": CONTAINER_APP_ROOT}]
    return _attach_entry(DOCKER_CONFIGURATION_NAME, debug_port, host, mappings)


def process_debug_configuration(debug_port: int = 5678, host: str = DEBUG_HOST) -> dict[str, Any]:
    """The attach entry for the local-process runtime: the server runs the local files themselves,
    so no path mapping is needed."""
    return _attach_entry(PROCESS_CONFIGURATION_NAME, debug_port, host, None)


def debug_configuration(
    runtime: str = "docker",
    debug_port: int = 5678,
    host: str = DEBUG_HOST,
    project_subfolder: str = "",
) -> dict[str, Any]:
    """`runtime` is "docker" or "process"."""
    if runtime == "process":
        return process_debug_configuration(debug_port, host)
    if runtime == "docker":
        return docker_debug_configuration(debug_port, host, project_subfolder)
    raise ValueError(f"unknown runtime {runtime!r}: expected 'docker' or 'process'")


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class LaunchConfigEdit:
    """The outcome of merging our configuration into a launch.json text.

    `text` is the new file text (the unchanged input when nothing had to change, None on error).
    `created`: there was no file (or it was empty) and `text` is a new one. `updated`: our entry
    existed and was changed in place. `changed`: `text` differs from the input.
    """

    text: str | None
    created: bool = False
    updated: bool = False
    changed: bool = False
    error: JsoncError | None = None


# --------------------------------------------------------------------------------------------
# Merging


@dataclass
class _Layout:
    unit: str  # one level of indentation
    eol: str


def _detect_layout(text: str, root: JsoncNode, tokens: list[JsoncToken]) -> _Layout:
    eol = "\r\n" if "\r\n" in text else "\n"
    unit = _DEFAULT_INDENT
    if root.kind == "object" and root.members:
        indent = _line_indent_if_first(text, tokens[root.members[0].key_token].start)
        if indent:
            unit = indent
    elif "\n\t" in text:
        unit = "\t"
    return _Layout(unit, eol)


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _line_indent(text: str, offset: int) -> str:
    start = _line_start(text, offset)
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def _line_indent_if_first(text: str, offset: int) -> str | None:
    """The indentation before `offset` when only whitespace precedes it on its line."""
    start = _line_start(text, offset)
    before = text[start:offset]
    return before if before.strip(" \t") == "" else None


class _Merger:
    def __init__(self, text: str, tokens: list[JsoncToken], layout: _Layout):
        self.text = text
        self.tokens = tokens
        self.layout = layout
        self.edits: list[tuple[int, int, str]] = []

    def render(self, value: Any, indent: str) -> str:
        """`value` as JSON laid out like the file, its first line placed at column `indent`."""
        rendered = json.dumps(value, indent=self.layout.unit, ensure_ascii=False)
        lines = rendered.split("\n")
        return self.layout.eol.join([lines[0]] + [indent + line for line in lines[1:]])

    def child_indent(self, container: JsoncNode, children_starts: list[int]) -> str:
        for start in children_starts:
            indent = _line_indent_if_first(self.text, start)
            if indent is not None:
                return indent
        return _line_indent(self.text, container.start) + self.layout.unit

    def append(
        self, container: JsoncNode, children: list[tuple[int, int]], item_text_for: Any
    ) -> None:
        """Add an item at the end of an object or array, with the comma JSON needs before it.

        `children` are (start offset, last token index) of the existing items; `item_text_for`
        renders the new item for a given indentation.
        """
        text = self.text
        eol = self.layout.eol
        indent = self.child_indent(container, [start for start, _ in children])
        close = self.tokens[container.last_token]
        if children:
            last_token = children[-1][1]
            following = self.tokens[last_token + 1]
            if following.kind != ",":
                # The comma the guide warns about: right after the last item, before any comment.
                self.edits.append((self.tokens[last_token].end, self.tokens[last_token].end, ","))
        close_indent = _line_indent_if_first(text, close.start)
        item = item_text_for(indent)
        if close_indent is not None:
            # The closing bracket starts its own line: put the item on the line before it.
            at = _line_start(text, close.start)
            self.edits.append((at, at, indent + item + eol))
        else:
            outer = _line_indent(text, container.start)
            self.edits.append((close.start, close.start, eol + indent + item + eol + outer))

    def member_start(self, member: JsoncMember) -> int:
        return self.tokens[member.key_token].start

    def replace_value(self, node: JsoncNode, value: Any) -> None:
        indent = _line_indent(self.text, node.start)
        self.edits.append((node.start, node.end, self.render(value, indent)))

    def remove_element(self, array: JsoncNode, position: int) -> None:
        """Drop one array element (a duplicate of ours), keeping comments around it."""
        element = array.elements[position]
        text = self.text
        start, end = element.start, element.end
        following = self.tokens[element.last_token + 1]
        if following.kind == ",":
            end = following.end
        elif position > 0:
            before = self.tokens[element.first_token - 1]
            if before.kind == "," and text[before.end : start].strip() == "":
                start = before.start
        if _line_indent_if_first(text, start) is not None:
            line_end = end
            while line_end < len(text) and text[line_end] in " \t":
                line_end += 1
            if text.startswith("\r\n", line_end) or text.startswith("\n", line_end):
                start = _line_start(text, start)
                end = line_end + (2 if text.startswith("\r\n", line_end) else 1)
        self.edits.append((start, end, ""))

    def apply(self) -> str:
        result = self.text
        # Last edit first so earlier offsets stay valid; at one offset, the edit made first must
        # end up first in the text (the comma before the item), so it is applied last.
        ordered = sorted(
            enumerate(self.edits), key=lambda e: (e[1][0], e[1][1], e[0]), reverse=True
        )
        for _, (start, end, new) in ordered:
            result = result[:start] + new + result[end:]
        return result


def _is_ours(node: JsoncNode, name: str) -> bool:
    return node.kind == "object" and isinstance(node.value, dict) and node.value.get("name") == name


def _last_member(node: JsoncNode, key: str) -> JsoncMember | None:
    found = None
    for member in node.members:
        if member.key == key:
            found = member
    return found


def new_launch_json_text(configuration: dict[str, Any], eol: str = "\n") -> str:
    """A fresh launch.json holding only `configuration`, laid out as VS Code writes one."""
    document = {"version": LAUNCH_JSON_VERSION, "configurations": [configuration]}
    return json.dumps(document, indent=_DEFAULT_INDENT, ensure_ascii=False).replace("\n", eol) + eol


def merge_launch_config(
    existing_text: str | None, configuration: dict[str, Any]
) -> LaunchConfigEdit:
    """Merge `configuration` (matched by its "name") into launch.json text.

    No text, or only whitespace: a new file. An entry with the same name: what attaching needs
    (`type`, `request`, `connect`) is set to ours in place, missing properties are added, and
    the rest is the user's (`justMyCode: false`, a custom `localRoot`, comments stay); duplicates
    of it are removed. Otherwise ours is appended to `configurations` (created when missing).
    Text that cannot be parsed is never changed: the edit carries the error's line and column.
    """
    name = configuration.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("the configuration needs a non-empty 'name'")
    if existing_text is None or existing_text.strip(" \t\r\n\ufeff") == "":
        eol = "\r\n" if existing_text and "\r\n" in existing_text else "\n"
        bom = "\ufeff" if existing_text and existing_text.startswith("\ufeff") else ""
        return LaunchConfigEdit(
            bom + new_launch_json_text(configuration, eol), created=True, changed=True
        )
    try:
        root, tokens, _comments = parse_with_tokens(existing_text)
    except JsoncParseError as error:
        return LaunchConfigEdit(None, error=error.error)
    if root is None:
        # Only comments: keep them and add a document after them.
        eol = "\r\n" if "\r\n" in existing_text else "\n"
        separator = "" if existing_text.endswith(("\n",)) else eol
        text = existing_text + separator + new_launch_json_text(configuration, eol)
        return LaunchConfigEdit(text, created=True, changed=True)
    if root.kind != "object":
        line, column = line_and_column(existing_text, root.start)
        return LaunchConfigEdit(
            None,
            error=JsoncError(
                "launch.json must hold an object ({...}) at the top level",
                line,
                column,
                root.start,
            ),
        )
    layout = _detect_layout(existing_text, root, tokens)
    merger = _Merger(existing_text, tokens, layout)
    updated = False

    configurations = _last_member(root, "configurations")
    if configurations is None:
        merger.append(
            root,
            [(merger.member_start(m), m.value.last_token) for m in root.members],
            lambda indent: '"configurations": ' + merger.render([configuration], indent),
        )
    elif configurations.value.kind != "array":
        node = configurations.value
        line, column = line_and_column(existing_text, node.start)
        return LaunchConfigEdit(
            None,
            error=JsoncError(
                '"configurations" must be a list ([...]) of configurations',
                line,
                column,
                node.start,
            ),
        )
    else:
        array = configurations.value
        ours = [i for i, element in enumerate(array.elements) if _is_ours(element, name)]
        if not ours:
            merger.append(
                array,
                [(e.start, e.last_token) for e in array.elements],
                lambda indent: merger.render(configuration, indent),
            )
        else:
            entry = array.elements[ours[0]]
            missing: list[tuple[str, Any]] = []
            for key, value in configuration.items():
                member = _last_member(entry, key)
                if member is None:
                    missing.append((key, value))
                elif key not in _ENFORCED_KEYS:
                    continue  # the user's own choice (justMyCode, a custom localRoot) stays
                elif member.value.value != value or type(member.value.value) is not type(value):
                    merger.replace_value(member.value, value)
                    updated = True
            if missing:
                updated = True

                def render_members(indent: str, items: list[tuple[str, Any]] = missing) -> str:
                    parts = [json.dumps(k) + ": " + merger.render(v, indent) for k, v in items]
                    return ("," + layout.eol + indent).join(parts)

                merger.append(
                    entry,
                    [(merger.member_start(m), m.value.last_token) for m in entry.members],
                    render_members,
                )
            for duplicate in ours[1:]:
                merger.remove_element(array, duplicate)
                updated = True

    text = merger.apply()
    return LaunchConfigEdit(text, updated=updated, changed=text != existing_text)
