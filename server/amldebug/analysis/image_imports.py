"""AML120: an import of the entry script that the built image cannot resolve (ground truth).

Pure parts only: which top-level imports the entry script makes and where, and the diagnostics for
the ones a probe of the built image found missing. The probe itself and the record of its result
live in `containers/image_imports.py`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from amldebug.diagnostics import Diagnostic, Range, Severity
from amldebug.rules import Rule

IMPORT_MISSING_IN_IMAGE = Rule(
    code="AML120",
    name="import-missing-in-image",
    severity=Severity.ERROR,
    summary="an import of the entry script is missing in the built image (checked inside it)",
    why="""
After `amldebug build` or `up`, amldebug asks the image's own Python whether each top-level
import of the entry script resolves (`importlib.util.find_spec`, without running `score.py`;
modules of your code under `/var/azureml-app` count as present). What is missing there is missing
in Azure ML too when the deployment is built from the same environment: the worker fails at start
with `ModuleNotFoundError` and the deployment never becomes healthy. Unlike a check of the conda
file, this is not a guess about what a package provides: it is what the image holds. The result is
kept for the same script, environment file and image; edit either and it disappears until the
next build.
""",
    fix="""
Add the distribution that provides the module to the conda file's `pip:` list (the import name
and the distribution name often differ: `cv2` is `opencv-python`, `sklearn` is `scikit-learn`),
or remove the import, then build again.
""",
    example="""
```python
import numpy
import lightgbm   # the conda file does not provide it
```
```yaml
  - pip:
      - azureml-inference-server-http==1.5.1
      - numpy==1.26.4
      - lightgbm==4.3.0
```
""",
)

RULES: tuple[Rule, ...] = (IMPORT_MISSING_IN_IMAGE,)

# An `except` that catches these makes an import optional: its absence is handled by the script.
_GUARDING_EXCEPTIONS = frozenset(
    {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
)


@dataclass(frozen=True)
class ImportSite:
    module: str  # the top-level name: `sklearn` for `from sklearn.linear_model import X`
    range: Range  # of the import statement's module name (the statement for `from` imports)


def entry_imports(text: str) -> tuple[ImportSite, ...]:
    """The module-level absolute imports that the server executes on loading the script.

    Imports inside functions, under `if TYPE_CHECKING:`, or in a `try` whose handler catches
    ImportError are left out: the script runs without them.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    return tuple(_imports_in(tree.body))


def _imports_in(statements: Iterable[ast.stmt]) -> Iterable[ImportSite]:
    for statement in statements:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                yield ImportSite(alias.name.split(".")[0], _range(alias))
        elif isinstance(statement, ast.ImportFrom):
            if statement.level == 0 and statement.module and statement.module != "__future__":
                yield ImportSite(statement.module.split(".")[0], _range(statement))
        elif isinstance(statement, ast.If):
            if not _is_type_checking(statement.test):
                yield from _imports_in(statement.body)
            yield from _imports_in(statement.orelse)
        elif isinstance(statement, ast.Try):
            if not any(_guards_imports(handler) for handler in statement.handlers):
                yield from _imports_in(statement.body)
            yield from _imports_in(statement.orelse)
            yield from _imports_in(statement.finalbody)
        elif isinstance(statement, ast.With):
            yield from _imports_in(statement.body)


def _range(node: ast.alias | ast.stmt) -> Range:
    end_line = node.end_lineno or node.lineno
    end_column = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return Range.of(node.lineno - 1, node.col_offset, end_line - 1, end_column)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _guards_imports(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(t, ast.Name) and t.id in _GUARDING_EXCEPTIONS for t in types)


def missing_import_diagnostics(
    text: str, missing: Iterable[str], *, image: str, python: str
) -> list[Diagnostic]:
    """AML120 on every import of a module the image's Python could not find."""
    absent = set(missing)
    return [
        Diagnostic(
            IMPORT_MISSING_IN_IMAGE.code,
            IMPORT_MISSING_IN_IMAGE.severity,
            f"'{site.module}' is not importable in the built image {image} (checked with its "
            f"Python {python}): the worker fails at start with ModuleNotFoundError. Add the "
            "package that provides it to the conda file and build again.",
            site.range,
        )
        for site in entry_imports(text)
        if site.module in absent
    ]
