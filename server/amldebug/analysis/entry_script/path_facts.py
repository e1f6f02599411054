"""Model-file paths in the entry script: joins to AZUREML_MODEL_DIR or to the script's folder."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from amldebug.analysis.entry_script.ast_helpers import qualified_name, string_value

if TYPE_CHECKING:
    from amldebug.analysis.entry_script.facts import ScriptFacts, Where

MODEL_SUFFIXES = (
    ".pkl",
    ".pickle",
    ".joblib",
    ".onnx",
    ".pt",
    ".pth",
    ".h5",
    ".hdf5",
    ".keras",
    ".bin",
    ".sav",
    ".model",
    ".safetensors",
    ".pb",
    ".tflite",
    ".cbm",
    ".ubj",
)


def directory_kind(facts: ScriptFacts, node: ast.expr, dir_names: dict[str, str]) -> str | None:
    """ "model" for expressions that name AZUREML_MODEL_DIR, "code" for the script's folder."""
    if isinstance(node, ast.Name):
        return dir_names.get(node.id)
    if isinstance(node, ast.Subscript):
        if (
            qualified_name(facts.aliases, node.value) == "os.environ"
            and string_value(node.slice) == "AZUREML_MODEL_DIR"
        ):
            return "model"
        return None
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = node.value
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr in ("resolve", "absolute")
        ):
            inner = inner.func.value
        if (
            isinstance(inner, ast.Call)
            and qualified_name(facts.aliases, inner.func) in ("pathlib.Path", "Path")
            and inner.args
        ):
            return "code" if is_file_name(facts, inner.args[0]) else None
        return None
    if not isinstance(node, ast.Call):
        return None
    name = qualified_name(facts.aliases, node.func)
    if (
        name in ("os.getenv", "os.environ.get")
        and node.args
        and string_value(node.args[0]) == "AZUREML_MODEL_DIR"
    ):
        return "model"
    if (
        name in ("pathlib.Path", "Path", "os.path.abspath", "os.path.realpath")
        and len(node.args) == 1
    ):
        return directory_kind(facts, node.args[0], dir_names)
    if name == "os.path.dirname" and len(node.args) == 1 and is_file_name(facts, node.args[0]):
        return "code"
    return None


def is_file_name(facts: ScriptFacts, node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "__file__"
    if isinstance(node, ast.Call) and len(node.args) == 1:
        return qualified_name(facts.aliases, node.func) in (
            "os.path.abspath",
            "os.path.realpath",
        ) and is_file_name(facts, node.args[0])
    return False


def note_path_join(
    facts: ScriptFacts, call: ast.Call, dir_names: dict[str, str], where: Where
) -> None:
    if len(call.args) < 2 or call.keywords:
        return
    if qualified_name(facts.aliases, call.func) not in ("os.path.join", "posixpath.join"):
        return
    directory = directory_kind(facts, call.args[0], dir_names)
    literals = call.args[1:]
    if directory and all(string_value(part) is not None for part in literals):
        facts.path_joins.append((directory, literals, where))  # type: ignore[arg-type]


def note_path_division(
    facts: ScriptFacts, node: ast.BinOp, dir_names: dict[str, str], where: Where, inner: set[int]
) -> None:
    literals: list[ast.Constant] = []
    left: ast.expr = node
    while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div):
        if string_value(left.right) is None:
            return
        literals.append(left.right)  # type: ignore[arg-type]
        left = left.left
        inner.add(id(left))
    directory = directory_kind(facts, left, dir_names)
    if directory:
        facts.path_joins.append((directory, list(reversed(literals)), where))


def looks_like_model_file(relative: str) -> bool:
    return relative.lower().endswith(MODEL_SUFFIXES)


def is_relative_path(value: str) -> bool:
    return (
        bool(value)
        and not value.startswith(("/", "\\", "~"))
        and ":" not in value
        and "{" not in value
    )
