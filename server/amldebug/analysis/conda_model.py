"""A conda environment file read into plain data with source positions.

Shared by the conda-file rules, the entry-script rule that checks imports against the environment
(AML116), their quick fixes, and the debug image build (which translates entries to pip). Parsing
uses PyYAML's node tree, which keeps line/column marks and never executes tags; libyaml's composer
when present (about fifteen times faster than the pure-Python one, which matters per keystroke).
Version arithmetic over entries (`version_bounds`) lives here too, so the rules and the image build
read a spec the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import yaml
from packaging.utils import canonicalize_name

from amldebug.analysis.conda_specs import (
    Constraint,
    InvalidSpec,
    ParsedSpec,
    Section,
    VersionBounds,
    bounds_of,
    is_pip_reference,
    parse_spec,
    version_bounds,
)
from amldebug.bounded_yaml import compose_yaml, yaml_error_at
from amldebug.diagnostics import Position, Range

__all__ = [
    "CondaDependency",
    "CondaEnvironment",
    "CondaProblem",
    "Constraint",
    "InsertPoint",
    "InvalidSpec",
    "ParsedSpec",
    "Section",
    "VersionBounds",
    "bounds_of",
    "is_pip_reference",
    "parse_conda_environment",
    "parse_spec",
    "version_bounds",
]

_CONDA_ENTRY = re.compile(
    r"^\s*(?:(?P<channel>[A-Za-z0-9_./:-]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9._-]*)\s*(?P<spec>.*?)\s*$"
)
_PIP_NAME = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<rest>.*?)\s*$")
_REQUIREMENT_FILE = re.compile(r"^\s*(?:-r|--requirement)(?:\s+|=)(?P<path>\S+)\s*$")
# Deeply nested YAML would otherwise cost recursion in the composer; real conda files are shallow.
_MAX_NESTING = 64
_ODD_LINE_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class CondaDependency:
    raw: str  # the entry exactly as written
    name: str  # canonical distribution name (PEP 503 normalised), "" when none could be read
    spec: str  # everything after the name: "==1.2", "=3.9", ">=1,<2", "[extra]>=1", ""
    section: Section
    range: Range  # of the entry's text
    channel: str | None = None  # "conda-forge" for "conda-forge::numpy"

    @property
    def is_option(self) -> bool:
        """pip options and references (`-r file`, `--index-url`, URLs) name no distribution."""
        return self.name == ""


@dataclass(frozen=True)
class InsertPoint:
    """Where a new list entry goes: before `line`, written as `prefix + entry + newline`."""

    line: int
    prefix: str


@dataclass(frozen=True)
class CondaProblem:
    kind: Literal[
        "yaml",
        "not-mapping",
        "no-dependencies",
        "dependencies-not-list",
        "pip-not-list",
        "entry-not-string",
    ]
    message: str
    range: Range


@dataclass(frozen=True)
class CondaEnvironment:
    name: str | None = None
    channels: tuple[str, ...] = ()
    dependencies: tuple[CondaDependency, ...] = ()
    dependencies_key: Range | None = None  # the `dependencies` key
    pip_key: Range | None = None  # the `pip` key of the `- pip:` item
    conda_insert: InsertPoint | None = None  # after the last item of `dependencies`
    # after the last item of `pip:`; right below the key when `pip:` is empty (null)
    pip_insert: InsertPoint | None = None
    pip_item: InsertPoint | None = None  # the `- pip:` item's own line: a conda entry goes above
    problems: tuple[CondaProblem, ...] = ()

    def conda_entries(self) -> tuple[CondaDependency, ...]:
        return tuple(d for d in self.dependencies if d.section == "conda")

    def pip_entries(self) -> tuple[CondaDependency, ...]:
        return tuple(d for d in self.dependencies if d.section == "pip")

    def find(self, name: str) -> tuple[CondaDependency, ...]:
        wanted = canonicalize_name(name)
        return tuple(d for d in self.dependencies if d.name == wanted)

    def declares(self, name: str) -> bool:
        return bool(self.find(name))

    def requirement_files(self) -> tuple[str, ...]:
        """Files named by `-r FILE` / `--requirement FILE` pip entries, as written."""
        found = []
        for dependency in self.pip_entries():
            match = _REQUIREMENT_FILE.match(dependency.raw)
            if match:
                found.append(match["path"].strip("'\""))
        return tuple(found)


def parse_conda_environment(text: str) -> CondaEnvironment:
    """Read a conda environment file. Never raises: structural trouble goes to `problems`."""
    if "\r" in text and "\n" not in text:
        # Classic Mac line endings: every CR ends a line, for YAML and for editors (LSP counts a
        # lone CR as a line break) alike. Read as LF, same offsets; no false AML201.
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    try:
        if _nesting_depth(text) > _MAX_NESTING:
            raise yaml.YAMLError("the YAML is nested too deeply to be a conda environment")
        # YAML also breaks lines at a lone CR, NEL, LS and PS; editors here count only LF. Blanking
        # those keeps YAML's line numbers equal to the editor's.
        odd_breaks = _ODD_LINE_BREAKS.search(text)
        root = compose_yaml(_ODD_LINE_BREAKS.sub(" ", text) if odd_breaks else text)
    except yaml.MarkedYAMLError as error:
        message, line, column = yaml_error_at(error, text)
        return CondaEnvironment(
            problems=(CondaProblem("yaml", message, Range.of(line, column, line, column + 1)),)
        )
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        return CondaEnvironment(problems=(CondaProblem("yaml", str(error), Range.of(0, 0)),))

    if root is None or not isinstance(root, yaml.MappingNode):
        where = _node_range(root) if root is not None else Range.of(0, 0)
        return CondaEnvironment(
            problems=(
                CondaProblem(
                    "not-mapping",
                    "the top level is not a mapping of `name`, `channels`, `dependencies`",
                    where,
                ),
            )
        )

    values = {
        key.value: (key, value) for key, value in root.value if isinstance(key, yaml.ScalarNode)
    }
    name_node = values.get("name", (None, None))[1]
    name = name_node.value if isinstance(name_node, yaml.ScalarNode) and name_node.value else None
    channels_node = values.get("channels", (None, None))[1]
    channels = (
        tuple(str(item.value) for item in channels_node.value if isinstance(item, yaml.ScalarNode))
        if isinstance(channels_node, yaml.SequenceNode)
        else ()
    )

    if "dependencies" not in values:
        return CondaEnvironment(
            name=name,
            channels=channels,
            problems=(
                CondaProblem(
                    "no-dependencies",
                    "there is no `dependencies` list",
                    Range.of(0, 0, 0, len(lines[0])),
                ),
            ),
        )
    dependencies_key_node, dependencies_node = values["dependencies"]
    dependencies_key = _node_range(dependencies_key_node)
    if not isinstance(dependencies_node, yaml.SequenceNode):
        where = dependencies_key if _is_null(dependencies_node) else _node_range(dependencies_node)
        return CondaEnvironment(
            name=name,
            channels=channels,
            dependencies_key=dependencies_key,
            problems=(
                CondaProblem("dependencies-not-list", "`dependencies` is not a list", where),
            ),
        )

    dependencies: list[CondaDependency] = []
    problems: list[CondaProblem] = []
    pip_key: Range | None = None
    pip_insert: InsertPoint | None = None
    pip_item: InsertPoint | None = None
    for item in dependencies_node.value:
        if isinstance(item, yaml.ScalarNode):
            dependencies.append(_conda_dependency(item))
        elif isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                if not (isinstance(key, yaml.ScalarNode) and key.value == "pip"):
                    problems.append(
                        CondaProblem(
                            "entry-not-string",
                            "a dependency must be a package spec or the `pip:` list",
                            _node_range(key),
                        )
                    )
                    continue
                pip_key = _node_range(key)
                pip_item = None if item.flow_style else _item_line(lines, item)
                if isinstance(value, yaml.SequenceNode):
                    for entry in value.value:
                        if isinstance(entry, yaml.ScalarNode):
                            dependencies.append(_pip_dependency(entry))
                        else:
                            problems.append(
                                CondaProblem(
                                    "entry-not-string",
                                    "a pip requirement must be a string",
                                    _node_range(entry),
                                )
                            )
                    pip_insert = _insert_after(lines, value)
                elif _is_null(value):
                    if not item.flow_style:
                        # Below `- pip:`, two columns deeper than the key, as conda's docs write it.
                        pip_insert = InsertPoint(
                            pip_key.start.line + 1, " " * (pip_key.start.character + 2) + "- "
                        )
                else:
                    problems.append(
                        CondaProblem(
                            "pip-not-list",
                            "`pip:` is not a list of requirements",
                            _node_range(value),
                        )
                    )
        else:
            problems.append(
                CondaProblem(
                    "entry-not-string",
                    "a dependency must be a package spec or the `pip:` list",
                    _node_range(item),
                )
            )

    return CondaEnvironment(
        name=name,
        channels=channels,
        dependencies=tuple(dependencies),
        dependencies_key=dependencies_key,
        pip_key=pip_key,
        conda_insert=_insert_after(lines, dependencies_node, prefer_scalar=True),
        pip_insert=pip_insert,
        pip_item=pip_item,
        problems=tuple(problems),
    )


def _nesting_depth(text: str) -> int:
    # A cheap upper bound on flow nesting, so hostile input cannot exhaust the stack.
    openers = text.count("[") + text.count("{")
    if openers <= _MAX_NESTING:
        return openers
    depth = best = 0
    for bracket in _BRACKETS.findall(text):  # only the brackets: a Python loop per char is slow
        if bracket in "[{":
            depth += 1
            best = max(best, depth)
        else:
            depth = max(depth - 1, 0)
    return best


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def _node_range(node: yaml.Node) -> Range:
    start, end = node.start_mark, node.end_mark
    return Range(Position(start.line, start.column), Position(end.line, end.column))


def _conda_dependency(node: yaml.ScalarNode) -> CondaDependency:
    raw = str(node.value)
    name, spec, channel = _read_conda_entry(raw)
    return CondaDependency(raw, name, spec, "conda", _node_range(node), channel=channel)


def _pip_dependency(node: yaml.ScalarNode) -> CondaDependency:
    raw = str(node.value)
    name, spec = _read_pip_entry(raw)
    return CondaDependency(raw, name, spec, "pip", _node_range(node))


# Cached: per keystroke the same entries come back, and name normalisation is regex work.
@lru_cache(maxsize=4096)
def _read_conda_entry(raw: str) -> tuple[str, str, str | None]:
    match = _CONDA_ENTRY.match(raw)
    if not match:
        return "", raw.strip(), None
    return str(canonicalize_name(match["name"])), match["spec"], match["channel"]


@lru_cache(maxsize=4096)
def _read_pip_entry(raw: str) -> tuple[str, str]:
    stripped = raw.strip()
    if (
        not stripped
        or stripped.startswith("-")
        or "://" in stripped
        or stripped.startswith((".", "/"))
    ):
        return "", stripped
    match = _PIP_NAME.match(raw)
    if not match:
        return "", stripped
    return str(canonicalize_name(match["name"])), match["rest"]


def _item_line(lines: list[str], item: yaml.Node) -> InsertPoint | None:
    """A block sequence item's own line and `  - ` prefix, when the dash starts that line."""
    line = item.start_mark.line
    if line >= len(lines):
        return None
    text = lines[line]
    dash = text.rfind("-", 0, item.start_mark.column)
    if dash < 0 or text[:dash].strip():
        return None
    return InsertPoint(line, text[:dash] + "- ")


def _insert_after(
    lines: list[str], sequence: yaml.SequenceNode, *, prefer_scalar: bool = False
) -> InsertPoint | None:
    """Where to add an item to a block sequence, copying the last item's `  - ` prefix.

    With `prefer_scalar`, new conda entries go after the last plain entry, above a `- pip:` block.
    """
    if sequence.flow_style or not sequence.value:
        return None
    scalars = [item for item in sequence.value if isinstance(item, yaml.ScalarNode)]
    last = scalars[-1] if prefer_scalar and scalars else sequence.value[-1]
    first_line = last.start_mark.line
    if first_line >= len(lines):
        return None
    text = lines[first_line]
    dash = text.rfind("-", 0, last.start_mark.column)
    if dash < 0 or text[:dash].strip():
        return None
    prefix = text[:dash] + "- "
    end = last.end_mark
    # A block scalar or mapping ends at column 0 of a later line, past any trailing comments.
    after = end.line if end.column == 0 else end.line + 1
    after = min(after, len(lines))
    while after - 1 > first_line and (
        not lines[after - 1].strip() or lines[after - 1].lstrip().startswith("#")
    ):
        after -= 1
    return InsertPoint(after, prefix)
