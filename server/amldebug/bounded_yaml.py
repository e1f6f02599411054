"""YAML from a project folder, loaded with bounds: no alias bomb, no deep nesting, no huge input.

PyYAML's safe loader shares aliased nodes, so nine levels of `&a [*a, *a, ...]` load quickly but
become gigabytes as soon as anything walks or prints the result; a recursive anchor (`&a [*a]`)
never ends; and deep nesting exhausts the stack (the C composer crashes the process outright). Every
YAML the tool reads on a project's say-so goes through `load_yaml` (values) or `compose_yaml` (nodes
with positions), which refuse such input with a `yaml.YAMLError` that says why.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

# Real deployment, conda and settings files are a few KB, a dozen levels deep, with a handful of
# aliases; these limits leave a wide margin while keeping the worst case to milliseconds.
MAX_YAML_CHARS = 2_000_000
MAX_DEPTH = 100
MAX_ALIASES = 10_000
# Nodes of the document with every alias replaced by what it names.
MAX_EXPANDED_NODES = 200_000


class YAMLLimitError(yaml.MarkedYAMLError):
    """The YAML is valid but beyond what a project file needs: too large, deep or self-repeating."""


class _BoundedComposer(Composer):
    """PyYAML's composer, counting depth and alias uses as it goes (events come from the parser)."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event: Any = self.peek_event()  # type: ignore[attr-defined]  # the parser's, mixed in
        if isinstance(event, AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YAMLLimitError(
                    problem=f"more than {MAX_ALIASES:,} alias uses (*name)",
                    problem_mark=_mark(event),
                )
            return super().compose_node(parent, index)
        if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            if self._depth >= MAX_DEPTH:
                raise YAMLLimitError(
                    problem=f"nested more than {MAX_DEPTH} levels deep",
                    problem_mark=_mark(event),
                )
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


_CParser: Any = getattr(yaml, "__with_libyaml__", False) and vars(yaml.cyaml).get("CParser")

if _CParser is not None:
    # libyaml scans and parses (fast, iterative); the Python composer above builds the nodes, so
    # the bounds apply and deep input cannot reach libyaml's recursive composer.
    class _Loader(_BoundedComposer, _CParser, SafeConstructor, Resolver):
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover - PyYAML without libyaml

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        _BoundedComposer,
        SafeConstructor,
        Resolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            _BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


def compose_yaml(text: str) -> Node | None:
    """The first document's node tree (positions kept), or None for an empty document.

    Raises `yaml.YAMLError` for invalid YAML and `YAMLLimitError` beyond the bounds.
    """
    if len(text) > MAX_YAML_CHARS:
        raise YAMLLimitError(problem=f"the YAML is larger than {MAX_YAML_CHARS:,} characters")
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is not None:
        _check_expansion(root)
    return root


def load_yaml(text: str) -> Any:
    """The first document's value, as `yaml.safe_load` gives it, within the bounds."""
    if len(text) > MAX_YAML_CHARS:
        raise YAMLLimitError(problem=f"the YAML is larger than {MAX_YAML_CHARS:,} characters")
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_expansion(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _check_expansion(root: Node) -> None:
    """Refuse a node graph whose aliases expand past the limit or refer to themselves.

    Iterative, memoised per node: linear in the composed (shared) graph, whatever it expands to.
    """
    expanded: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            total = 1 + sum(expanded[id(child)] for child in _children(node))
            if total > MAX_EXPANDED_NODES:
                raise YAMLLimitError(
                    problem=(
                        f"aliases expand this YAML to more than {MAX_EXPANDED_NODES:,} values "
                        "(an alias bomb?)"
                    ),
                    problem_mark=node.start_mark,
                )
            expanded[key] = total
            continue
        if key in expanded:
            continue
        if key in in_progress:
            raise YAMLLimitError(
                problem="an alias refers to a value that contains it (a recursive structure)",
                problem_mark=node.start_mark,
            )
        if isinstance(node, ScalarNode):
            expanded[key] = 1
            continue
        in_progress.add(key)
        stack.append((node, True))
        for child in _children(node):
            child_key = id(child)
            if child_key in in_progress:
                raise YAMLLimitError(
                    problem="an alias refers to a value that contains it (a recursive structure)",
                    problem_mark=child.start_mark,
                )
            if child_key not in expanded:
                stack.append((child, False))


def _mark(event: Any) -> Any:
    return event.start_mark  # libyaml's Mark has the attributes of yaml.error.Mark


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def yaml_error_at(error: yaml.YAMLError, text: str) -> tuple[str, int, int]:
    """What a YAML error says, and the 0-based line and column it points at: where an unfinished
    construct began when the error is only found at the end, clamped into the text."""
    lines = text.split("\n")
    line, column = 0, 0
    message = str(error)
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        if mark is not None and error.context_mark is not None and mark.index >= len(text):
            # Found only at the end of the text (an unclosed bracket or quote): where the
            # unfinished construct began says more.
            mark = error.context_mark
        if mark is not None:
            line, column = mark.line, mark.column
        message = "; ".join(part for part in (error.context, error.problem) if part) or message
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            message += " (a tab: YAML indents with spaces only)"
    if line >= len(lines):
        line, column = len(lines) - 1, len(lines[-1])
    return message, line, column
