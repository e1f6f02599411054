"""What a value returned by run() is made of: arrays json.dumps rejects, leaked exception text."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import TYPE_CHECKING

from amldebug.analysis.entry_script.ast_helpers import qualified_name

if TYPE_CHECKING:
    from amldebug.analysis.entry_script.facts import ScriptFacts

PREDICT_METHODS = {"predict", "predict_proba", "predict_log_proba", "decision_function"}
ARRAY_FACTORIES = {
    "numpy.array",
    "numpy.asarray",
    "numpy.zeros",
    "numpy.ones",
    "numpy.empty",
    "numpy.arange",
    "numpy.argmax",
    "numpy.argmin",
    "numpy.concatenate",
    "numpy.stack",
    "numpy.vstack",
    "numpy.hstack",
    "numpy.where",
    "pandas.DataFrame",
    "pandas.Series",
    "torch.tensor",
}


# numpy scalar types json.dumps rejects (numpy.float64 is a float subclass and passes).
NUMPY_SCALARS = {
    "numpy.float16",
    "numpy.float32",
    "numpy.half",
    "numpy.single",
    "numpy.longdouble",
    "numpy.int8",
    "numpy.int16",
    "numpy.int32",
    "numpy.int64",
    "numpy.intc",
    "numpy.intp",
    "numpy.int_",
    "numpy.uint8",
    "numpy.uint16",
    "numpy.uint32",
    "numpy.uint64",
    "numpy.uintc",
    "numpy.uintp",
    "numpy.bool_",
    "numpy.complex64",
    "numpy.complex128",
}
_TRACEBACK_TEXT = {"traceback.format_exc", "traceback.format_exception", "traceback.format_tb"}
# Calls whose result says nothing of the exception's text: `type(e).__name__`, isinstance(e, X).
_OPAQUE_CALLS = {"type", "isinstance", "issubclass"}
_STR_METHODS = frozenset(name for name in dir(str) if not name.startswith("_"))
_CONTAINER_ADDERS = {"append", "extend", "insert", "update", "add"}


def unsafe_value(
    facts: ScriptFacts, node: ast.expr, unsafe: Mapping[str, ast.expr | None]
) -> ast.expr | None:
    """The part of a returned value that json.dumps certainly rejects (an array, a frame, a numpy
    scalar). `unsafe` maps variables of run() to None when they hold such a value themselves, or
    to the part of their value that does (a dict or list holding an array)."""
    kind = type(node)
    if kind is ast.Call:
        func = node.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Attribute) and (
            func.attr in PREDICT_METHODS or func.attr == "numpy"
        ):
            return node
        name = qualified_name(facts.aliases, func)
        if name in ARRAY_FACTORIES or name in NUMPY_SCALARS:
            return node
        if name == "json.dumps" and node.args:  # type: ignore[attr-defined]
            return unsafe_value(facts, node.args[0], unsafe)  # type: ignore[attr-defined]
        return None
    if kind is ast.Name:
        if node.id not in unsafe:  # type: ignore[attr-defined]
            return None
        inner = unsafe[node.id]  # type: ignore[attr-defined]
        return node if inner is None else inner
    if kind is ast.Dict:
        for value in node.values:  # type: ignore[attr-defined]
            found = unsafe_value(facts, value, unsafe)
            if found is not None:
                return found
        return None
    if kind is ast.List or kind is ast.Tuple:
        for element in node.elts:  # type: ignore[attr-defined]
            found = unsafe_value(facts, element, unsafe)
            if found is not None:
                return found
    return None


def exception_text(
    facts: ScriptFacts, value: ast.AST, except_names: tuple[str, ...], leaks: Mapping[str, str]
) -> str | None:
    """How `value` carries an exception's text, if it does: the `except ... as e` name itself,
    a traceback, or a variable that holds either (`leaks`), anywhere inside (str(e), a dict, an
    f-string, json.dumps)."""
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            name = node.id  # type: ignore[attr-defined]
            if name in except_names and isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                return f"'{name}'"
            if name in leaks:
                return leaks[name]
            continue
        if kind is ast.Call:
            called = qualified_name(facts.aliases, node.func)  # type: ignore[attr-defined]
            if called in _TRACEBACK_TEXT:
                return "traceback"
            if called in _OPAQUE_CALLS:
                continue
        elif kind is ast.Compare:
            continue  # `detail is None`: a test on the text, not the text
        elif kind is ast.IfExp:
            stack.extend((node.body, node.orelse))  # type: ignore[attr-defined]
            continue
        elif kind is ast.Attribute:
            attribute = node.attr  # type: ignore[attr-defined]
            if attribute == "__class__":
                continue
            owner = node.value  # type: ignore[attr-defined]
            if (
                type(owner) is ast.Name
                and owner.id in leaks
                and owner.id not in except_names
                and attribute not in _STR_METHODS
            ):
                continue  # `result.tolist()` where result may hold str(e): fails before leaking
        stack.extend(ast.iter_child_nodes(node))
    return None


def follow_run_statement(
    facts: ScriptFacts,
    statement: ast.stmt,
    block: list[ast.stmt],
    except_names: tuple[str, ...],
    unsafe: dict[str, ast.expr | None],
    leaks: dict[str, str],
) -> None:
    """Follow one statement of run(), in source order, for AML111 and AML114: which variables
    hold an array or exception text, and which returns carry them."""
    if isinstance(statement, ast.Return):
        if statement.value is None:
            return
        offending = unsafe_value(facts, statement.value, unsafe)
        if offending is not None:
            facts.unsafe_at_return.append((statement, offending))
        leaked = exception_text(facts, statement.value, except_names, leaks)
        if leaked is not None:
            facts.exception_returns.append((statement, leaked))
        return
    # A handler that re-raises never returns what it assigned.
    reraises = bool(except_names) and any(type(s) is ast.Raise for s in block)
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
        value = statement.value
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        if len(targets) != 1:
            return
        target = targets[0]
        offending = unsafe_value(facts, value, unsafe)
        leaked = None if reraises else exception_text(facts, value, except_names, leaks)
        if isinstance(target, ast.Name):
            if offending is None:
                unsafe.pop(target.id, None)
            elif offending is value or (
                isinstance(value, ast.Name) and unsafe.get(value.id, value) is None
            ):
                unsafe[target.id] = None
            else:
                unsafe[target.id] = offending
            if leaked is None:
                leaks.pop(target.id, None)
            else:
                leaks[target.id] = leaked
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            _into_container(target.value.id, offending, leaked, unsafe, leaks)
    elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        if (
            isinstance(call.func, ast.Attribute)
            and call.func.attr in _CONTAINER_ADDERS
            and isinstance(call.func.value, ast.Name)
        ):
            for argument in call.args:
                offending = unsafe_value(facts, argument, unsafe)
                leaked = None if reraises else exception_text(facts, argument, except_names, leaks)
                _into_container(call.func.value.id, offending, leaked, unsafe, leaks)


def _into_container(
    container: str,
    offending: ast.expr | None,
    leaked: str | None,
    unsafe: dict[str, ast.expr | None],
    leaks: dict[str, str],
) -> None:
    """`result["k"] = value` or `results.append(value)`: the container now holds `value`."""
    if offending is not None and container not in unsafe:
        unsafe[container] = offending
    if leaked is not None:
        leaks.setdefault(container, leaked)
