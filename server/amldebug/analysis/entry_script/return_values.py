"""What a value returned by run() is made of: arrays json.dumps rejects, leaked exception text."""

from __future__ import annotations

import ast
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


def unsafe_value(facts: ScriptFacts, node: ast.expr, unsafe_names: set[str]) -> ast.expr | None:
    """The part of a returned value that json.dumps certainly rejects (an array, a frame)."""
    kind = type(node)
    if kind is ast.Call:
        func = node.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Attribute) and (
            func.attr in PREDICT_METHODS or func.attr == "numpy"
        ):
            return node
        name = qualified_name(facts.aliases, func)
        if name in ARRAY_FACTORIES:
            return node
        if name == "json.dumps" and node.args:  # type: ignore[attr-defined]
            return unsafe_value(facts, node.args[0], unsafe_names)  # type: ignore[attr-defined]
        return None
    if kind is ast.Name:
        return node if node.id in unsafe_names else None  # type: ignore[attr-defined]
    if kind is ast.Dict:
        for value in node.values:  # type: ignore[attr-defined]
            found = unsafe_value(facts, value, unsafe_names)
            if found is not None:
                return found
        return None
    if kind is ast.List or kind is ast.Tuple:
        for element in node.elts:  # type: ignore[attr-defined]
            found = unsafe_value(facts, element, unsafe_names)
            if found is not None:
                return found
    return None


def leaked_exception(
    facts: ScriptFacts, value: ast.expr, except_names: tuple[str, ...]
) -> str | None:
    for node in ast.walk(value):
        if (
            isinstance(node, ast.Name)
            and node.id in except_names
            and isinstance(node.ctx, ast.Load)
        ):
            return f"'{node.id}'"
        if isinstance(node, ast.Call) and qualified_name(facts.aliases, node.func) in (
            "traceback.format_exc",
            "traceback.format_exception",
        ):
            return "traceback"
    return None
