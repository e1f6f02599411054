"""Small questions about syntax trees and text that several entry-script checks ask."""

from __future__ import annotations

import ast
import bisect
from collections.abc import Iterator, Mapping

IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def names_bound(target: ast.AST) -> Iterator[str]:
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)


def statement_bindings(statement: ast.stmt) -> Iterator[tuple[str, ast.AST | None]]:
    """Names a statement binds in its own scope, with the value when it is a plain assignment."""
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            for name in names_bound(target):
                yield name, statement.value if isinstance(target, ast.Name) else None
    elif isinstance(statement, ast.AnnAssign):
        if statement.value is not None and isinstance(statement.target, ast.Name):
            yield statement.target.id, statement.value
    elif isinstance(statement, (ast.AugAssign, ast.For, ast.AsyncFor)):
        for name in names_bound(statement.target):
            yield name, None
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        for item in statement.items:
            if item.optional_vars is not None:
                for name in names_bound(item.optional_vars):
                    yield name, None
    elif isinstance(statement, (ast.Import, ast.ImportFrom)):
        for alias in statement.names:
            if alias.name != "*":
                yield (alias.asname or alias.name.split(".", 1)[0]), None
    elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield statement.name, None


def is_main_guard(test: ast.expr) -> bool:
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    return catches(handlers, IMPORT_ERRORS)


def catches(handlers: list[ast.ExceptHandler], names: set[str] | frozenset[str]) -> bool:
    """Whether one of the handlers catches an exception named in `names` (a bare `except:`
    catches all)."""
    for handler in handlers:
        if handler.type is None:
            return True
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for kind in kinds:
            name = (
                kind.id
                if isinstance(kind, ast.Name)
                else kind.attr
                if isinstance(kind, ast.Attribute)
                else ""
            )
            if name in names:
                return True
    return False


def lines_with(text: str, words: tuple[str, ...]) -> list[int]:
    """1-based numbers of the lines that contain any of `words`, ascending."""
    offsets: list[int] = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            offsets.append(at)
            at = text.find(word, at + 1)
    offsets.sort()
    found: list[int] = []
    line, position = 1, 0
    for offset in offsets:
        line += text.count("\n", position, offset)
        position = offset
        if not found or found[-1] != line:
            found.append(line)
    return found


def any_between(hits: list[int], first: int, last: int | None) -> bool:
    index = bisect.bisect_left(hits, first)
    return index < len(hits) and hits[index] <= (last or first)


def touches(hits: list[int], statement: ast.stmt) -> bool:
    first = statement.lineno
    body = getattr(statement, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        last = max(body[0].lineno - 1, first)
    else:
        last = statement.end_lineno or first
    decorators = getattr(statement, "decorator_list", None)
    if decorators:
        first = min(first, decorators[0].lineno)
    index = bisect.bisect_left(hits, first)
    return index < len(hits) and hits[index] <= last


def dotted_name(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def qualified_name(aliases: Mapping[str, str], node: ast.expr) -> str:
    """`np.array` -> `numpy.array`, `load_model` -> `keras.models.load_model` (through imports)."""
    dotted = dotted_name(node)
    if dotted is None:
        return ""
    head, _, rest = dotted.partition(".")
    origin = aliases.get(head)
    if origin is None:
        return dotted
    return f"{origin}.{rest}" if rest else origin


def own_expressions(statement: ast.stmt) -> Iterator[ast.AST]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        # Calls in a def line sit only in decorators and default values; annotations are inert.
        yield from statement.decorator_list
        yield from statement.args.defaults
        yield from (d for d in statement.args.kw_defaults if d is not None)
        return
    for child in ast.iter_child_nodes(statement):
        if not isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
            yield child


def string_value(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def all_arguments(arguments: ast.arguments) -> list[ast.arg]:
    found = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
    if arguments.vararg is not None:
        found.append(arguments.vararg)
    if arguments.kwarg is not None:
        found.append(arguments.kwarg)
    return found


def decorator_name(decorator: ast.expr) -> str:
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    dotted = dotted_name(decorator)
    return dotted.rsplit(".", 1)[-1] if dotted else ""
