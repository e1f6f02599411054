"""Rules for the entry script (`score.py`): AML101-AML116 and their quick fixes.

The language server runs this on every keystroke, so the text is parsed once (`ast.parse`, cached
by text) and walked cheaply:

1. one pass over the *statements* of the whole file (a few thousand nodes at most) collects
   imports, module-level names, `init()`/`run()` and where each statement sits (module level,
   `init`, `run`, another function; under `if __name__ == "__main__"`, an optional import, ...);
2. the *expressions* are walked only for statements that can matter: module level, class bodies,
   `init()`, `run()`, and statements of other functions on lines that mention a keyword some rule
   looks for (found with one regular-expression scan of the text).

Everything here is pure apart from a few `stat` calls (does a model file or a local module exist).
"""

from __future__ import annotations

import ast
import bisect
import builtins
import io
import re
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from amldebug.analysis import import_map
from amldebug.analysis.conda_model import CondaEnvironment, parse_conda_environment
from amldebug.analysis.context import AnalysisContext
from amldebug.diagnostics import Diagnostic, Fix, Position, Range, Severity, TextEdit
from amldebug.project import CONTAINER_APP_ROOT
from amldebug.rules import Rule

MISSING_INIT = Rule(
    code="AML101",
    name="init-missing",
    severity=Severity.ERROR,
    summary="no top-level `init()`",
    why=(
        "The inference server imports the entry script and calls `init()` once per worker before "
        "the first request. Without it the server stops at start-up with `User script ... does "
        "not have a init() function defined`: the worker never boots and the deployment ends in "
        "CrashLoopBackOff."
    ),
    fix="Define `init()` at module level, load the model there and keep it in a global.",
    example=(
        "```python\n# wrong: the model is loaded in a function the server never calls\ndef "
        "load():\n    ...\n```\n\n```python\n# right\ndef init():\n    global model\n"
        '    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))\n```'
    ),
    fixable=True,
)
MISSING_RUN = Rule(
    code="AML102",
    name="run-missing",
    severity=Severity.ERROR,
    summary="no top-level `run()`",
    why=(
        "`run()` is called once per `POST /score` request. Without it the server refuses the "
        "script (`does not have a run() function defined`) and the container restarts "
        "(CrashLoopBackOff)."
    ),
    fix=(
        "Define `run(raw_data)` at module level: parse the request body, call the model, return "
        "JSON data."
    ),
    example=(
        '```python\ndef run(raw_data):\n    data = json.loads(raw_data)["data"]\n    return '
        '{"predictions": model.predict(data).tolist()}\n```'
    ),
    fixable=True,
)
RUN_SIGNATURE = Rule(
    code="AML103",
    name="run-signature",
    severity=Severity.ERROR,
    summary="`run()` signature the inference server rejects",
    why=(
        "The server inspects `run()` before serving: `*args`, `**kwargs` and positional-only "
        "parameters are rejected, and `run()` needs one input parameter besides `request_headers` "
        "(which receives the HTTP headers). The worker fails to boot (CrashLoopBackOff)."
    ),
    fix=(
        "Give `run()` one ordinary parameter for the request data, plus `request_headers` if "
        "needed."
    ),
    example=(
        "```python\n# wrong\ndef run(*args):\n    ...\n```\n\n```python\n# right\ndef "
        "run(raw_data):\n    ...\n```"
    ),
)
INIT_PARAMETERS = Rule(
    code="AML104",
    name="init-parameters",
    severity=Severity.ERROR,
    summary="`init()` has parameters without defaults",
    why=(
        "The server calls `init()` with no arguments. A parameter without a default raises "
        "`TypeError: init() missing 1 required positional argument` and the worker never boots."
    ),
    fix=(
        "Remove the parameters, or give each a default value; read settings from environment "
        "variables."
    ),
    example=(
        "```python\n# wrong\ndef init(model_name):\n    ...\n```\n\n```python\n# right\ndef "
        'init(model_name="model.pkl"):\n'
        "    ...\n```"
    ),
)
RAWHTTP_WITH_SCHEMA = Rule(
    code="AML105",
    name="rawhttp-with-input-schema",
    severity=Severity.ERROR,
    summary="`run()` decorated with both `@rawhttp` and `@input_schema`",
    why=(
        "`@rawhttp` hands `run()` the Flask request; `@input_schema` parses the body into typed "
        "arguments. The server cannot do both and refuses to start: `run() cannot be decorated "
        "with both @rawhttp and @input_schema`."
    ),
    fix=(
        "Keep one: `@rawhttp` to read the raw request, or `@input_schema`/`@output_schema` for "
        "typed input."
    ),
    example=(
        '```python\n# wrong\n@rawhttp\n@input_schema("data", NumpyParameterType(sample))\ndef '
        "run(data):\n    ...\n```\n\n"
        '```python\n# right\n@input_schema("data", NumpyParameterType(sample))\ndef run(data):\n '
        "   ...\n```"
    ),
)
GLOBAL_MISSING = Rule(
    code="AML106",
    name="init-global-missing",
    severity=Severity.ERROR,
    summary="a name assigned inside `init()` without `global`, then read in `run()`",
    why=(
        "Without `global`, an assignment in `init()` creates a local variable that disappears "
        "when `init()` returns. `run()` then reads a module global that was never set: "
        "`NameError` on the first request (HTTP 500), or `'NoneType' object has no attribute "
        "'predict'` when the module sets it to `None`. The container looks healthy until the "
        "first request."
    ),
    fix="Declare the name `global` at the top of `init()`.",
    example=(
        "```python\n# wrong\ndef init():\n    model = joblib.load(path)\n\ndef run(raw_data):\n   "
        " return model.predict(...)\n```\n\n```python\n# right\ndef init():\n    global model\n   "
        " model = joblib.load(path)\n```"
    ),
    fixable=True,
)
SYNTAX_ERROR = Rule(
    code="AML107",
    name="syntax-error",
    severity=Severity.ERROR,
    summary="the entry script does not parse",
    why=(
        "The server imports the entry script at start-up; a syntax error stops the worker before "
        "`init()` (`Failed to import user script`) and the container restarts (CrashLoopBackOff). "
        "The other rules cannot run on a file that does not parse. `return`, `yield` and "
        "`nonlocal` outside a function are reported too: Python parses them but refuses to "
        "compile them."
    ),
    fix="Fix the syntax at the reported position. Check the Python version of the image too.",
    example=(
        "```python\n# wrong: the colon is missing\ndef run(raw_data)\n    "
        "...\n```\n\n```python\n# right\ndef run(raw_data):\n    ...\n```"
    ),
)
PTVSD_IMPORT = Rule(
    code="AML108",
    name="ptvsd-deprecated",
    severity=Severity.WARNING,
    summary="`ptvsd` used: deprecated, replaced by `debugpy`",
    why=(
        "`ptvsd` is no longer maintained and does not support current Python versions or VS "
        "Code's Python debugger. `debugpy` replaces it with a different API: "
        "`enable_attach(address=...)` became `listen(address)` and `wait_for_attach()` became "
        "`wait_for_client()`."
    ),
    fix=(
        "Import `debugpy` instead and rename the calls (the quick fix does both); list `debugpy` "
        "in the conda file."
    ),
    example=(
        '```python\n# wrong\nimport ptvsd\nptvsd.enable_attach(address=("0.0.0.0", '
        '5678))\n```\n\n```python\n# right\nimport debugpy\ndebugpy.listen(("0.0.0.0", 5678))\n```'
    ),
    fixable=True,
)
DEBUGGER_HOOK = Rule(
    code="AML109",
    name="debugger-hook",
    severity=Severity.WARNING,
    summary="debugger hook left in the entry script",
    why=(
        "`debugpy.listen`/`connect`/`wait_for_client`/`breakpoint` and "
        "`ptvsd.enable_attach`/`wait_for_attach` open a debug port or block the worker. Anyone "
        "who reaches that port can run any code in the container; bound to `0.0.0.0` that is "
        "every network interface. `wait_for_client()` also blocks the worker until a debugger "
        "attaches, so health probes fail. `amldebug` attaches a debugger to its local debug image "
        "without changes to the script."
    ),
    fix="Remove the call (or comment it out) before deploying.",
    example=(
        '```python\n# wrong\nimport debugpy\ndebugpy.listen(("0.0.0.0", 5678))\n```\n\n'
        "```python\n# right: no debugger hook; use `amldebug up` for a debuggable local "
        "container\n```"
    ),
    fixable=True,
)
EXCEPTION_RETURNED = Rule(
    code="AML111",
    name="exception-returned",
    severity=Severity.WARNING,
    summary="`run()` returns exception text to the caller",
    why=(
        "Returning `str(e)` or a traceback from an `except` block shows the real error to the "
        "caller while debugging, which is handy, but in production it leaks internals (paths, "
        "package versions, data) and answers HTTP 200 to a failed request, so monitoring sees no "
        "failure."
    ),
    fix=(
        "Before deploying, log the exception and re-raise it (or return an `AMLResponse` with "
        "status 500 and a generic message)."
    ),
    example=(
        "```python\n# debug only\nexcept Exception as e:\n    return str(e)\n```\n\n"
        '```python\n# production\nexcept Exception:\n    logging.exception("scoring failed")\n   '
        " raise\n```"
    ),
)
GET_MODEL_PATH = Rule(
    code="AML112",
    name="get-model-path",
    severity=Severity.WARNING,
    summary="`Model.get_model_path()` (azureml-core v1)",
    why=(
        "`Model.get_model_path()` needs `azureml-core` in the image and a model registered under "
        "that name; it raises `ModelNotFoundException` (CrashLoopBackOff in `init()`) when the "
        "model was deployed under another name or version. `AZUREML_MODEL_DIR` works with v1 and "
        "v2 deployments and locally."
    ),
    fix='Use `os.path.join(os.environ["AZUREML_MODEL_DIR"], "<file>")`.',
    example=(
        '```python\n# wrong\npath = Model.get_model_path("sklearn_mnist")\n```\n\n```python\n# '
        'right\npath = os.path.join(os.environ["AZUREML_MODEL_DIR"], '
        '"sklearn_mnist_model.pkl")\n```'
    ),
)
MODEL_FILE_MISSING = Rule(
    code="AML113",
    name="model-file-missing",
    severity=Severity.WARNING,
    summary=(
        "a model file named by a literal path that does not exist where the container will look"
    ),
    why=(
        "Loading a file that is not there raises `FileNotFoundError`: in `init()` the worker "
        "never boots (CrashLoopBackOff), in `run()` every request fails with HTTP 500.\n\nChecked "
        "only where amldebug knows where the container looks:\n\n"
        '- a literal joined to `AZUREML_MODEL_DIR` (`os.path.join(os.getenv("AZUREML_MODEL_DIR"), '
        '"model.pkl")`, `Path(...) / "model.pkl"`, or a variable holding it) must exist inside '
        "one of the project's model paths (a folder's contents, or a folder or file by its own "
        "name). With no model path known (no deployment YAML `model.path`, no `--model`), it is "
        "not checked;\n- a relative model file (`.pkl`, `.joblib`, `.onnx`, `.pt`, `.h5`, ...) "
        "opened or loaded directly, or joined to `os.path.dirname(__file__)`, resolves against "
        f"the code folder (`{CONTAINER_APP_ROOT}` in the container): it must exist next to the "
        "entry script or at the project root;\n"
        '- `Model.get_model_path("name")`: when model paths are known, one of them must be named '
        "`name`."
    ),
    fix=(
        "Correct the file name, or put the file in the model folder and read it through "
        "`AZUREML_MODEL_DIR`."
    ),
    example=(
        "```python\n# wrong: the model folder holds "
        'model.pkl\njoblib.load(os.path.join(model_dir, "modle.pkl"))\n```\n\n```python\n# '
        'right\njoblib.load(os.path.join(model_dir, "model.pkl"))\n```'
    ),
)
NOT_JSON_SERIALISABLE = Rule(
    code="AML114",
    name="run-returns-array",
    severity=Severity.WARNING,
    summary="`run()` returns a value that is not JSON-serialisable",
    why=(
        "The server turns the value `run()` returns into JSON with `json.dumps`. A numpy array "
        "(the direct result of `.predict(...)`), a tensor or a DataFrame fails with `TypeError: "
        "Object of type ndarray is not JSON serializable`: every request gets HTTP 500 although "
        "the model worked."
    ),
    fix="Convert with `.tolist()` (or `.to_dict()` for DataFrames), or declare `@output_schema`.",
    example=(
        "```python\n# wrong\nreturn model.predict(data)\n```\n\n```python\n# right\nreturn "
        "model.predict(data).tolist()\n```"
    ),
    fixable=True,
)
LOAD_AT_IMPORT = Rule(
    code="AML115",
    name="model-loaded-at-import",
    severity=Severity.WARNING,
    summary="model loaded at import time, outside `init()`",
    why=(
        "Code at module level runs when the server imports the script, before `init()`. A failure "
        "there shows up as `Failed to import user script` instead of an `init()` error, the model "
        "directory may not be set up yet, and every worker process repeats the load as an import "
        "side effect that is hard to debug."
    ),
    fix="Move the load into `init()` and keep the result in a global.",
    example=(
        '```python\n# wrong\nmodel = joblib.load("model.pkl")\n```\n\n'
        "```python\n# right\ndef init():\n    global model\n"
        '    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))\n```'
    ),
)
IMPORT_NOT_PROVIDED = Rule(
    code="AML116",
    name="import-not-in-environment",
    severity=Severity.ERROR,
    summary="an imported module is provided by nothing in the conda file",
    why=(
        "The image installs only what the conda file lists. A module that neither the conda nor "
        "the pip section provides (directly, or through a package that depends on it), that is "
        "not part of the standard library and is not a local module next to the script raises "
        "`ModuleNotFoundError`: at import or in `init()` the worker never boots "
        "(CrashLoopBackOff); in `run()` the request fails with HTTP 500. Import names are mapped "
        "to distributions (`sklearn` -> `scikit-learn`, `cv2` -> `opencv-python`, `PIL` -> "
        "`pillow`, `yaml` -> `pyyaml`); imports inside `try: ... except ImportError` are optional "
        "and not checked. Without a conda file the rule is silent."
    ),
    fix="Add the distribution to the pip list of the conda file (the quick fix does).",
    example=(
        "```python\nimport sklearn\n```\n\n```yaml\n# conda.yml\ndependencies:\n  - python=3.10\n "
        " - pip\n  - pip:\n      - azureml-inference-server-http\n      - scikit-learn==1.3.2\n```"
    ),
    fixable=True,
)

RULES: tuple[Rule, ...] = (
    MISSING_INIT,
    MISSING_RUN,
    RUN_SIGNATURE,
    INIT_PARAMETERS,
    RAWHTTP_WITH_SCHEMA,
    GLOBAL_MISSING,
    SYNTAX_ERROR,
    PTVSD_IMPORT,
    DEBUGGER_HOOK,
    EXCEPTION_RETURNED,
    GET_MODEL_PATH,
    MODEL_FILE_MISSING,
    NOT_JSON_SERIALISABLE,
    LOAD_AT_IMPORT,
    IMPORT_NOT_PROVIDED,
)

# --- What the rules look for -------------------------------------------------------------------

_DEBUGGER_HOOKS = {
    "debugpy.listen",
    "debugpy.connect",
    "debugpy.wait_for_client",
    "debugpy.breakpoint",
    "ptvsd.enable_attach",
    "ptvsd.wait_for_attach",
    "ptvsd.break_into_debugger",
}
# ptvsd function -> its debugpy replacement.
_PTVSD_RENAMES = {
    "enable_attach": "listen",
    "wait_for_attach": "wait_for_client",
    "break_into_debugger": "breakpoint",
    "is_attached": "is_client_connected",
}
_PTVSD_DEFAULT_ADDRESS = '("0.0.0.0", 5678)'
_MODEL_SUFFIXES = (
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
# Module-level functions that load a model from a file.
_LOADERS = {
    "joblib.load",
    "sklearn.externals.joblib.load",
    "pickle.load",
    "cloudpickle.load",
    "dill.load",
    "torch.load",
    "torch.jit.load",
    "tensorflow.saved_model.load",
    "onnxruntime.InferenceSession",
    "onnx.load",
}
# Methods and functions that load a model whatever module they come from.
_LOADER_NAMES = {"load_model", "from_pretrained", "InferenceSession", "load_learner"}
_PREDICT_METHODS = {"predict", "predict_proba", "predict_log_proba", "decision_function"}
_ARRAY_FACTORIES = {
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
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
_BUILTIN_NAMES = frozenset(dir(builtins))
# Lines worth walking inside functions other than init() and run(): one scan of the whole text.
# Words that make a line of a function other than init()/run() worth walking. Found with
# str.find (C speed) rather than one regular expression with many alternatives, which is slower.
_INTERESTING_WORDS = (
    "debugpy",
    "ptvsd",
    "enable_attach",
    "wait_for_attach",
    "wait_for_client",
    "break_into_debugger",
    "listen",
    "connect",
    "get_model_path",
    "AZUREML_MODEL_DIR",
    "__file__",
    *(suffix + quote for suffix in _MODEL_SUFFIXES for quote in "'\""),
)
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


# --- Parsing -------------------------------------------------------------------------------------


class _ParseFailure(NamedTuple):
    message: str
    range: Range


@lru_cache(maxsize=2)
def _parse(text: str) -> ast.Module | _ParseFailure:
    """The tree of `text`, shared read-only by the diagnostics, the refactors and re-checks."""
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences warn on stderr, which would garble CLI output.
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as error:
        return _ParseFailure(error.msg or "invalid syntax", _syntax_error_range(text, error))
    except (ValueError, RecursionError, MemoryError) as error:
        return _ParseFailure(f"the file cannot be parsed: {error}", Range.of(0, 0, 0, 1))


def parsed_tree(text: str) -> ast.Module | None:
    """`text`'s syntax tree, None if it does not parse: one parse per text for every analyzer of
    a Python file (the scale-settings rules read the same tree). Shared: never modify it."""
    tree = _parse(text)
    return None if isinstance(tree, _ParseFailure) else tree


def _syntax_error_range(text: str, error: SyntaxError) -> Range:
    lines = text.split("\n")
    line = max((error.lineno or 1) - 1, 0)
    line = min(line, max(len(lines) - 1, 0))
    width = len(lines[line]) if lines else 0
    start = min(max((error.offset or 1) - 1, 0), width)
    end_line, end = line, start + 1
    end_lineno, end_offset = getattr(error, "end_lineno", None), getattr(error, "end_offset", None)
    if end_lineno and end_offset and (end_lineno - 1, end_offset - 1) > (line, start):
        end_line = min(end_lineno - 1, len(lines) - 1)
        end = end_offset - 1
    end = min(end, len(lines[end_line]) if lines else 0)
    if (end_line, end) <= (line, start):
        end_line, end = line, min(start + 1, width) if width > start else start
    return Range(Position(line, start), Position(end_line, end))


# --- Where each statement sits -------------------------------------------------------------------


class _Where(NamedTuple):
    scope: str  # "module", "class", "init", "run" or "function"
    main_guard: bool = False  # under `if __name__ == "__main__":` (never run by the server)
    optional_import: bool = False  # in a `try:` whose handler catches ImportError
    type_only: bool = False  # under `if TYPE_CHECKING:`
    except_names: tuple[str, ...] = ()  # names bound by enclosing `except ... as e` (in run())
    hot: bool = False  # a function other than init()/run() with interesting lines in it


@dataclass
class _ImportUse:
    statement: ast.Import | ast.ImportFrom
    where: _Where
    module: str  # the dotted module looked up ("sklearn.linear_model", "azureml.core.Model")
    alias: ast.alias | None  # for `import x`: the alias node, for positions


@dataclass
class _Facts:
    """What the walks found, independent of the project (so it is cached by text)."""

    tree: ast.Module
    lines: list[str]
    module_names: set[str] = field(default_factory=set)
    # Names whose every module-level assignment is `= None`.
    module_none: dict[str, bool] = field(default_factory=dict)
    star_import: bool = False
    init: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    run: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    init_stores: dict[str, ast.AST] = field(default_factory=dict)
    init_globals: set[str] = field(default_factory=set)
    run_locals: set[str] = field(default_factory=set)
    run_globals: set[str] = field(default_factory=set)
    run_first_reads: dict[str, ast.Name] = field(default_factory=dict)
    imports: list[_ImportUse] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    # (module-relative call node, enclosing statement, its block, where)
    calls: list[tuple[ast.Call, ast.stmt, list[ast.stmt], _Where]] = field(default_factory=list)
    returns: list[tuple[ast.Return, _Where]] = field(default_factory=list)
    unsafe_at_return: list[tuple[ast.Return, ast.expr]] = field(default_factory=list)
    # Errors the compiler raises but ast.parse accepts (`return` outside a function, ...): the
    # import of the script fails all the same.
    compile_errors: list[tuple[str, ast.AST]] = field(default_factory=list)
    # (kind, base node, literal components) for model-path joins
    path_joins: list[tuple[str, list[ast.Constant], _Where]] = field(default_factory=list)


def _names_bound(target: ast.AST) -> Iterator[str]:
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)


def _statement_bindings(statement: ast.stmt) -> Iterator[tuple[str, ast.AST | None]]:
    """Names a statement binds in its own scope, with the value when it is a plain assignment."""
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            for name in _names_bound(target):
                yield name, statement.value if isinstance(target, ast.Name) else None
    elif isinstance(statement, ast.AnnAssign):
        if statement.value is not None and isinstance(statement.target, ast.Name):
            yield statement.target.id, statement.value
    elif isinstance(statement, (ast.AugAssign, ast.For, ast.AsyncFor)):
        for name in _names_bound(statement.target):
            yield name, None
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        for item in statement.items:
            if item.optional_vars is not None:
                for name in _names_bound(item.optional_vars):
                    yield name, None
    elif isinstance(statement, (ast.Import, ast.ImportFrom)):
        for alias in statement.names:
            if alias.name != "*":
                yield (alias.asname or alias.name.split(".", 1)[0]), None
    elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield statement.name, None


def _is_main_guard(test: ast.expr) -> bool:
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
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
            if name in _IMPORT_ERRORS:
                return True
    return False


def _interesting_lines(text: str) -> list[int]:
    """1-based numbers of lines that mention something a rule looks for, ascending."""
    return _lines_with(text, _INTERESTING_WORDS)


def _lines_with(text: str, words: tuple[str, ...]) -> list[int]:
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


def _any_between(hits: list[int], first: int, last: int | None) -> bool:
    index = bisect.bisect_left(hits, first)
    return index < len(hits) and hits[index] <= (last or first)


def _touches(hits: list[int], statement: ast.stmt) -> bool:
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


@lru_cache(maxsize=2)
def _facts(text: str) -> _Facts | _ParseFailure:
    tree = _parse(text)
    if isinstance(tree, _ParseFailure):
        return tree
    facts = _Facts(tree=tree, lines=text.split("\n"))
    hits = _interesting_lines(text)
    to_scan = _walk_statements(facts, hits, _lines_with(text, ("import",)))
    _scan_expressions(facts, to_scan, text)
    return facts


def _walk_statements(
    facts: _Facts, hits: list[int], import_lines: list[int]
) -> list[tuple[ast.stmt, list[ast.stmt], _Where]]:
    """Pass 1: every statement once, in source order, except the bodies of functions (other than
    init() and run()) that neither mention an interesting word nor import anything: no rule
    looks inside those. Returns the statements whose expressions
    the rules need to see."""
    to_scan: list[tuple[ast.stmt, list[ast.stmt], _Where]] = []
    module_where = _Where("module")
    stack: list[tuple[ast.stmt, list[ast.stmt], _Where]] = [
        (statement, facts.tree.body, module_where) for statement in reversed(facts.tree.body)
    ]

    def push(block: list[ast.stmt], where: _Where) -> None:
        stack.extend([(child, block, where) for child in reversed(block)])

    while stack:
        statement, block, where = stack.pop()
        scope = where.scope
        if scope != "function" or (where.hot and _touches(hits, statement)):
            to_scan.append((statement, block, where))

        kind = type(statement)
        if kind is ast.Import or kind is ast.ImportFrom:
            _record_import(facts, statement, where)  # type: ignore[arg-type]
        if scope in ("module", "class") and kind in _FUNCTION_ONLY_STATEMENTS:
            facts.compile_errors.append((_FUNCTION_ONLY_STATEMENTS[kind], statement))
        if scope == "module":
            for name, value in _statement_bindings(statement):
                facts.module_names.add(name)
                is_none = isinstance(value, ast.Constant) and value.value is None
                facts.module_none[name] = facts.module_none.get(name, True) and is_none
        elif scope == "init":
            if kind is ast.Global:
                facts.init_globals.update(statement.names)  # type: ignore[attr-defined]
            for name, _ in _statement_bindings(statement):
                facts.init_stores.setdefault(name, statement)
        elif scope == "run":
            if kind is ast.Global:
                facts.run_globals.update(statement.names)  # type: ignore[attr-defined]
            elif kind is ast.Return:
                facts.returns.append((statement, where))  # type: ignore[arg-type]
            for name, _ in _statement_bindings(statement):
                facts.run_locals.add(name)

        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            function: ast.FunctionDef = statement  # type: ignore[assignment]
            inner = "function"
            if scope == "module" and function.name in ("init", "run"):
                inner = function.name
                setattr(facts, function.name, function)
            hot = inner == "function" and _any_between(hits, function.lineno, function.end_lineno)
            if (
                inner != "function"
                or hot
                or _any_between(import_lines, function.lineno, function.end_lineno)
            ):
                push(
                    function.body, _Where(inner, where.main_guard, False, where.type_only, (), hot)
                )
        elif kind is ast.ClassDef:
            inner = "class" if scope in ("module", "class") else "function"
            hot = inner == "function" and _any_between(
                hits,
                statement.lineno,
                statement.end_lineno,
            )
            push(statement.body, where._replace(scope=inner, except_names=(), hot=hot))  # type: ignore[attr-defined]
        elif kind is ast.If:
            test = statement.test  # type: ignore[attr-defined]
            if scope == "module" and _is_main_guard(test):
                push(statement.orelse, where)  # type: ignore[attr-defined]
                push(statement.body, where._replace(main_guard=True))  # type: ignore[attr-defined]
            elif _is_type_checking(test):
                push(statement.orelse, where)  # type: ignore[attr-defined]
                push(statement.body, where._replace(type_only=True))  # type: ignore[attr-defined]
            else:
                push(statement.orelse, where)  # type: ignore[attr-defined]
                push(statement.body, where)  # type: ignore[attr-defined]
        elif kind is ast.Try or kind is getattr(ast, "TryStar", None):
            push(statement.finalbody, where)  # type: ignore[attr-defined]
            push(statement.orelse, where)  # type: ignore[attr-defined]
            for handler in reversed(statement.handlers):  # type: ignore[attr-defined]
                names = where.except_names + ((handler.name,) if handler.name else ())
                push(handler.body, where._replace(except_names=names))
            optional = where.optional_import or _catches_import_error(statement.handlers)  # type: ignore[attr-defined]
            push(statement.body, where._replace(optional_import=optional))  # type: ignore[attr-defined]
        elif kind is ast.Match:
            for case in reversed(statement.cases):  # type: ignore[attr-defined]
                push(case.body, where)
        else:
            orelse = getattr(statement, "orelse", None)
            if orelse:
                push(orelse, where)
            body = getattr(statement, "body", None)
            if body:
                push(body, where)
    return to_scan


def _record_import(facts: _Facts, statement: ast.Import | ast.ImportFrom, where: _Where) -> None:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.asname:
                facts.aliases[alias.asname] = alias.name
            facts.imports.append(_ImportUse(statement, where, alias.name, alias))
        return
    if statement.level or not statement.module:
        return  # relative imports are the project's own modules
    if statement.names and statement.names[0].name == "*":
        facts.star_import = True
    for alias in statement.names:
        if alias.name != "*":
            facts.aliases[alias.asname or alias.name] = f"{statement.module}.{alias.name}"
    first = statement.names[0].name if statement.names else "*"
    module = statement.module if first == "*" else f"{statement.module}.{first}"
    facts.imports.append(_ImportUse(statement, where, module, None))


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _qualified(facts: _Facts, node: ast.expr) -> str:
    """`np.array` -> `numpy.array`, `load_model` -> `keras.models.load_model` (through imports)."""
    dotted = _dotted(node)
    if dotted is None:
        return ""
    head, _, rest = dotted.partition(".")
    origin = facts.aliases.get(head)
    if origin is None:
        return dotted
    return f"{origin}.{rest}" if rest else origin


def _own_expressions(statement: ast.stmt) -> Iterator[ast.AST]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        # Calls in a def line sit only in decorators and default values; annotations are inert.
        yield from statement.decorator_list
        yield from statement.args.defaults
        yield from (d for d in statement.args.kw_defaults if d is not None)
        return
    for child in ast.iter_child_nodes(statement):
        if not isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
            yield child


def _scan_expressions(
    facts: _Facts, to_scan: list[tuple[ast.stmt, list[ast.stmt], _Where]], text: str
) -> None:
    """Pass 2: the expressions of the statements that matter, in source order."""
    track_dirs = "AZUREML_MODEL_DIR" in text or "__file__" in text
    dir_names: dict[str, str] = {}  # variable -> "model" or "code"
    unsafe_names: set[str] = set()
    inner_divisions: set[int] = set()  # `a / "b" / "c"`: the inner `a / "b"` is part of the outer
    run_scanned = facts.run is not None
    name_type, call_type, binop_type = ast.Name, ast.Call, ast.BinOp
    for statement, block, where in to_scan:
        in_run = where.scope == "run"
        if type(statement) is ast.Try:
            continue
        for child in _own_expressions(statement):
            for node in ast.walk(child):
                kind = type(node)
                if kind is name_type:
                    if in_run and run_scanned and isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                        facts.run_first_reads.setdefault(node.id, node)  # type: ignore[attr-defined,arg-type]
                elif kind is call_type:
                    facts.calls.append((node, statement, block, where))  # type: ignore[arg-type]
                    if track_dirs:
                        _note_path_join(facts, node, dir_names, where)  # type: ignore[arg-type]
                elif kind is binop_type and track_dirs and isinstance(node.op, ast.Div):  # type: ignore[attr-defined]
                    if id(node) not in inner_divisions:
                        _note_path_division(facts, node, dir_names, where, inner_divisions)  # type: ignore[arg-type]
                elif kind is ast.NamedExpr and where.scope == "init":
                    facts.init_stores.setdefault(node.target.id, node)  # type: ignore[attr-defined]
                elif (kind is ast.Yield or kind is ast.YieldFrom) and where.scope in (
                    "module",
                    "class",
                ):
                    facts.compile_errors.append(("'yield' outside function", node))
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                if track_dirs:
                    directory = _directory_kind(facts, statement.value, dir_names)
                    if directory:
                        dir_names[target.id] = directory
                    else:
                        dir_names.pop(target.id, None)
                if in_run:
                    if _unsafe_value(facts, statement.value, unsafe_names) is not None:
                        unsafe_names.add(target.id)
                    else:
                        unsafe_names.discard(target.id)
        elif in_run and isinstance(statement, ast.Return) and statement.value is not None:
            offending = _unsafe_value(facts, statement.value, unsafe_names)
            if offending is not None:
                facts.unsafe_at_return.append((statement, offending))


# --- Model paths --------------------------------------------------------------------------------


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _directory_kind(facts: _Facts, node: ast.expr, dir_names: dict[str, str]) -> str | None:
    """ "model" for expressions that name AZUREML_MODEL_DIR, "code" for the script's folder."""
    if isinstance(node, ast.Name):
        return dir_names.get(node.id)
    if isinstance(node, ast.Subscript):
        if (
            _qualified(facts, node.value) == "os.environ"
            and _string(node.slice) == "AZUREML_MODEL_DIR"
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
            and _qualified(facts, inner.func) in ("pathlib.Path", "Path")
            and inner.args
        ):
            return "code" if _is_file_name(facts, inner.args[0]) else None
        return None
    if not isinstance(node, ast.Call):
        return None
    name = _qualified(facts, node.func)
    if (
        name in ("os.getenv", "os.environ.get")
        and node.args
        and _string(node.args[0]) == "AZUREML_MODEL_DIR"
    ):
        return "model"
    if (
        name in ("pathlib.Path", "Path", "os.path.abspath", "os.path.realpath")
        and len(node.args) == 1
    ):
        return _directory_kind(facts, node.args[0], dir_names)
    if name == "os.path.dirname" and len(node.args) == 1 and _is_file_name(facts, node.args[0]):
        return "code"
    return None


def _is_file_name(facts: _Facts, node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "__file__"
    if isinstance(node, ast.Call) and len(node.args) == 1:
        return _qualified(facts, node.func) in (
            "os.path.abspath",
            "os.path.realpath",
        ) and _is_file_name(facts, node.args[0])
    return False


def _note_path_join(
    facts: _Facts, call: ast.Call, dir_names: dict[str, str], where: _Where
) -> None:
    if len(call.args) < 2 or call.keywords:
        return
    if _qualified(facts, call.func) not in ("os.path.join", "posixpath.join"):
        return
    directory = _directory_kind(facts, call.args[0], dir_names)
    literals = call.args[1:]
    if directory and all(_string(part) is not None for part in literals):
        facts.path_joins.append((directory, literals, where))  # type: ignore[arg-type]


def _note_path_division(
    facts: _Facts, node: ast.BinOp, dir_names: dict[str, str], where: _Where, inner: set[int]
) -> None:
    literals: list[ast.Constant] = []
    left: ast.expr = node
    while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div):
        if _string(left.right) is None:
            return
        literals.append(left.right)  # type: ignore[arg-type]
        left = left.left
        inner.add(id(left))
    directory = _directory_kind(facts, left, dir_names)
    if directory:
        facts.path_joins.append((directory, list(reversed(literals)), where))


def _looks_like_model_file(relative: str) -> bool:
    return relative.lower().endswith(_MODEL_SUFFIXES)


def _is_relative_path(value: str) -> bool:
    return (
        bool(value)
        and not value.startswith(("/", "\\", "~"))
        and ":" not in value
        and "{" not in value
    )


# --- Entry points --------------------------------------------------------------------------------


def analyze_entry_script(text: str, context: AnalysisContext) -> list[Diagnostic]:
    """Diagnostics AML101-AML116 for one entry script's text."""
    facts = _facts(text)
    if isinstance(facts, _ParseFailure):
        return [
            Diagnostic(
                SYNTAX_ERROR.code,
                SYNTAX_ERROR.severity,
                f"{facts.message}: the inference server cannot import this script, so the worker "
                "never boots (CrashLoopBackOff)",
                facts.range,
            )
        ]
    checker = _Checker(facts, text, context)
    checker.check()
    return checker.diagnostics


def refactors_at(text: str, line: int, context: AnalysisContext) -> list[Fix]:
    """Refactors offered on `line` (0-based) that no diagnostic asks for: the debug-only
    try/except around run()'s body, on the `def run` line or its decorators."""
    facts = _facts(text)
    if isinstance(facts, _ParseFailure) or facts.run is None:
        return []
    run = facts.run
    first = (run.decorator_list[0].lineno if run.decorator_list else run.lineno) - 1
    if not first <= line <= run.lineno - 1:
        return []
    fix = _debug_try_except(facts, text, run)
    return [fix] if fix is not None else []


# --- The rules ---------------------------------------------------------------------------------


_FUNCTION_ONLY_STATEMENTS: dict[type, str] = {
    ast.Return: "'return' outside function",
    ast.Nonlocal: "nonlocal declaration not allowed at module level",
}


class _Checker:
    def __init__(self, facts: _Facts, text: str, context: AnalysisContext) -> None:
        self.facts = facts
        self.text = text
        self.lines = facts.lines
        self.context = context
        self.diagnostics: list[Diagnostic] = []

    def add(self, rule: Rule, message: str, where: Range, fixes: tuple[Fix, ...] = ()) -> None:
        self.diagnostics.append(Diagnostic(rule.code, rule.severity, message, where, fixes=fixes))

    def check(self) -> None:
        for message, node in self.facts.compile_errors:
            self.add(
                SYNTAX_ERROR,
                f"{message}: the inference server cannot import this script, so the worker "
                "never boots (CrashLoopBackOff)",
                self.node_range(node),
            )
        self.check_contract()
        self.check_globals()
        self.check_calls()
        self.check_returns()
        self.check_model_paths()
        self.check_imports()

    # Positions: ast columns are UTF-8 byte offsets, diagnostics count code points.
    def char(self, line: int, byte_column: int) -> int:
        if not 0 <= line < len(self.lines):
            return byte_column
        text = self.lines[line]
        if text.isascii():
            return byte_column
        return len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="replace"))

    def node_range(self, node: ast.AST) -> Range:
        line = node.lineno - 1  # type: ignore[attr-defined]
        end_line = (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
        end_column = node.end_col_offset if node.end_col_offset is not None else node.col_offset  # type: ignore[attr-defined]
        return Range.of(
            line,
            self.char(line, node.col_offset),  # type: ignore[attr-defined]
            end_line,
            self.char(end_line, end_column),
        )

    def first_line_range(self, node: ast.stmt) -> Range:
        whole = self.node_range(node)
        if whole.end.line == whole.start.line:
            return whole
        line = whole.start.line
        return Range.of(line, whole.start.character, line, len(self.lines[line].rstrip()))

    def def_range(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Range:
        line = function.lineno - 1
        start = self.char(line, function.col_offset)
        name_at = self.lines[line].find(function.name, start)
        end = name_at + len(function.name) if name_at >= 0 else len(self.lines[line].rstrip())
        return Range.of(line, start, line, end)

    def segment(self, node: ast.AST) -> str:
        where = self.node_range(node)
        if where.start.line == where.end.line:
            return self.lines[where.start.line][where.start.character : where.end.character]
        parts = [self.lines[where.start.line][where.start.character :]]
        parts.extend(self.lines[where.start.line + 1 : where.end.line])
        parts.append(self.lines[where.end.line][: where.end.character])
        return "\n".join(parts)

    def script_name(self) -> str:
        return self.context.path.name or "the entry script"

    # AML101-AML105
    def check_contract(self) -> None:
        facts = self.facts
        if "init" not in facts.module_names and not facts.star_import:
            self.add(
                MISSING_INIT,
                f"{self.script_name()} has no top-level init(): the inference server refuses the "
                "script and the worker never boots (CrashLoopBackOff)",
                Range.of(0, 0, 0, len(self.lines[0]) if self.lines else 0),
                (Fix("Add a stub init()", (self.append_block(_INIT_STUB),), preferred=True),),
            )
        if "run" not in facts.module_names and not facts.star_import:
            self.add(
                MISSING_RUN,
                f"{self.script_name()} has no top-level run(): the inference server refuses the "
                "script and no request can be scored (CrashLoopBackOff)",
                Range.of(0, 0, 0, len(self.lines[0]) if self.lines else 0),
                (Fix("Add a stub run(raw_data)", (self.append_block(_RUN_STUB),), preferred=True),),
            )
        if facts.run is not None:
            self.check_run_signature(facts.run)
        if facts.init is not None:
            self.check_init_signature(facts.init)

    def append_block(self, block: str) -> TextEdit:
        """Insert `block` at the end of the file, two blank lines after the last code. Only an
        insertion, so that the init() and run() stubs can be applied together."""
        end = Position(len(self.lines) - 1, len(self.lines[-1]))
        stripped = self.text.rstrip()
        if not stripped:
            return TextEdit(Range(end, end), block)
        newlines = self.text[len(stripped) :].count("\n")
        return TextEdit(Range(end, end), "\n" * max(3 - newlines, 0) + block)

    def check_run_signature(self, run: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        arguments = run.args
        rejected = [f"{a.arg} (positional-only)" for a in arguments.posonlyargs]
        if arguments.vararg is not None:
            rejected.append(f"*{arguments.vararg.arg}")
        if arguments.kwarg is not None:
            rejected.append(f"**{arguments.kwarg.arg}")
        if rejected:
            self.add(
                RUN_SIGNATURE,
                f"run() declares {', '.join(rejected)}: the inference server rejects run() with "
                "positional-only parameters, *args or **kwargs and the worker never boots",
                self.def_range(run),
            )
            return
        inputs = [
            a.arg for a in arguments.args + arguments.kwonlyargs if a.arg != "request_headers"
        ]
        if not inputs:
            has_headers = any(
                a.arg == "request_headers" for a in arguments.args + arguments.kwonlyargs
            )
            detail = (
                'an argument other than "request_headers"'
                if has_headers
                else "an argument for the input data"
            )
            self.add(
                RUN_SIGNATURE,
                f"run() takes no input parameter: the inference server needs {detail} (e.g. "
                "run(raw_data)) and the worker never boots",
                self.def_range(run),
            )
        decorators = {_decorator_name(d) for d in run.decorator_list}
        if "rawhttp" in decorators and "input_schema" in decorators:
            self.add(
                RAWHTTP_WITH_SCHEMA,
                "run() is decorated with both @rawhttp and @input_schema: the inference server "
                "refuses to start; keep one of them",
                self.def_range(run),
            )

    def check_init_signature(self, init: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        arguments = init.args
        positional = arguments.posonlyargs + arguments.args
        required = [a.arg for a in positional[: len(positional) - len(arguments.defaults)]]
        required += [
            a.arg
            for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=False)
            if d is None
        ]
        if required:
            names = ", ".join(f"'{name}'" for name in required)
            self.add(
                INIT_PARAMETERS,
                f"init() requires {names} but the inference server calls init() with no "
                "arguments: TypeError at start-up and the worker never boots",
                self.def_range(init),
            )

    # AML106
    def check_globals(self) -> None:
        facts = self.facts
        if facts.init is None or facts.run is None:
            return
        init_parameters = {a.arg for a in _all_arguments(facts.init.args)}
        for name, read in sorted(
            facts.run_first_reads.items(), key=lambda item: (item[1].lineno, item[1].col_offset)
        ):
            if (
                name not in facts.init_stores
                or name in facts.init_globals
                or name in init_parameters
            ):
                continue
            if name in facts.run_locals and name not in facts.run_globals:
                continue
            if name in facts.module_names:
                if not facts.module_none.get(name, False):
                    continue
                consequence = (
                    f"run() sees the module-level '{name} = None' instead, so the first request "
                    "fails (e.g. 'NoneType' object has no attribute ...)"
                )
            elif facts.star_import or name in _BUILTIN_NAMES:
                continue
            else:
                consequence = (
                    "run() reads a global that was never set: NameError on the first request"
                )
            self.add(
                GLOBAL_MISSING,
                f"'{name}' is assigned in init() without 'global', so it is local to init(); "
                f"{consequence}. Add 'global {name}' at the top of init()",
                self.node_range(read),
                (
                    Fix(
                        f"Add 'global {name}' to init()",
                        (self.global_edit(facts.init, name),),
                        preferred=True,
                    ),
                ),
            )

    def global_edit(self, init: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> TextEdit:
        body = init.body
        first = body[0]
        has_docstring = isinstance(first, ast.Expr) and _string(first.value) is not None
        if first.lineno == init.lineno:
            # `def init(): model = load()` on one line.
            line = first.lineno - 1
            column = self.char(line, first.col_offset)
            return TextEdit(Range.of(line, column), f"global {name}; ")
        indent = self.lines[first.lineno - 1][: self.char(first.lineno - 1, first.col_offset)]
        if has_docstring and len(body) > 1:
            anchor_line = body[1].lineno - 1
        elif has_docstring:
            anchor_line = first.end_lineno or first.lineno
        else:
            anchor_line = first.lineno - 1
        if anchor_line >= len(self.lines):
            return TextEdit(Range.of(anchor_line, 0), f"\n{indent}global {name}")
        return TextEdit(Range.of(anchor_line, 0), f"{indent}global {name}\n")

    # AML108, AML109, AML112, AML115 (and AML113 for get_model_path)
    def check_calls(self) -> None:
        facts = self.facts
        ptvsd_calls: list[tuple[ast.Call, str]] = []
        for call, statement, block, where in facts.calls:
            name = _qualified(facts, call.func)
            if not name:
                continue
            if name.startswith("ptvsd."):
                ptvsd_calls.append((call, name))
            if name in _DEBUGGER_HOOKS and not where.main_guard:
                self.debugger_hook(call, name, statement, block)
            parts = name.split(".")
            last = parts[-1]
            if last == "get_model_path" and len(parts) > 1 and parts[-2].endswith("Model"):
                self.get_model_path(call)
            if (
                where.scope in ("module", "class")
                and not where.main_guard
                and _is_loader(name, last)
            ):
                self.add(
                    LOAD_AT_IMPORT,
                    f"{name}() runs when the server imports the script, outside init(): a failure "
                    "looks like an import error, and every worker repeats it; move it into "
                    "init() and keep the result in a global",
                    self.node_range(call),
                )
            if (
                name in ("open", "io.open") or _is_loader(name, last) or last == "load"
            ) and call.args:
                literal = _string(call.args[0])
                if (
                    literal is not None
                    and _is_relative_path(literal)
                    and _looks_like_model_file(literal)
                ):
                    self.code_relative_file(call.args[0], literal, f"{name}()")
        self.ptvsd(ptvsd_calls)

    def debugger_hook(
        self, call: ast.Call, name: str, statement: ast.stmt, block: list[ast.stmt]
    ) -> None:
        short = name.rsplit(".", 1)[-1]
        module = name.split(".", 1)[0]
        address: ast.expr | None = None
        if short in ("listen", "connect", "enable_attach"):
            address = next((k.value for k in call.keywords if k.arg == "address"), None)
            if address is None and call.args:
                address = call.args[0]
                if short == "enable_attach" and _string(address) is not None:
                    # ptvsd 3: enable_attach(secret, address)
                    address = call.args[1] if len(call.args) > 1 else None
        host, port = _address(address)
        if short == "enable_attach" and address is None:
            host, port = "0.0.0.0", 5678
        if short in ("listen", "enable_attach", "connect"):
            where = f"port {port}" if port else "the debug port"
            message = (
                f"{module}.{short}() left in the entry script: anyone who can reach {where} can "
                "run any code in the container; remove it before deploying"
            )
            if host == "0.0.0.0":
                bound = f"0.0.0.0:{port}" if port else "0.0.0.0"
                message += f" (it binds {bound}: every network interface of the container)"
        elif short in ("wait_for_client", "wait_for_attach"):
            message = (
                f"{module}.{short}() left in the entry script: the worker blocks until a debugger "
                "attaches, so the server never answers; remove it before deploying"
            )
        else:
            message = (
                f"{module}.{short}() left in the entry script: it stops the worker for a debugger; "
                "remove it before deploying"
            )
        self.add(
            DEBUGGER_HOOK, message, self.node_range(call), self.hook_fixes(call, statement, block)
        )

    def hook_fixes(
        self, call: ast.Call, statement: ast.stmt, block: list[ast.stmt]
    ) -> tuple[Fix, ...]:
        if not (isinstance(statement, ast.Expr) and statement.value is call):
            return ()
        first, last = statement.lineno - 1, (statement.end_lineno or statement.lineno) - 1
        whole = self.node_range(statement)
        before = self.lines[first][: whole.start.character]
        after = self.lines[last][whole.end.character :].strip()
        if before.strip() or (after and not after.startswith("#")):
            return ()  # shares its line with other code: no safe line edit
        indent = before
        alone = len(block) == 1
        end = (
            Position(last + 1, 0)
            if last + 1 < len(self.lines)
            else Position(last, len(self.lines[last]))
        )
        trailing_newline = last + 1 < len(self.lines)
        remove = TextEdit(
            Range(Position(first, 0), end),
            (f"{indent}pass" + ("\n" if trailing_newline else "")) if alone else "",
        )
        comment_edits = [
            TextEdit(Range.of(line, min(len(indent), len(self.lines[line]))), "# ")
            for line in range(first, last + 1)
        ]
        if alone:
            if trailing_newline:
                comment_edits.append(TextEdit(Range.of(last + 1, 0), f"{indent}pass\n"))
            else:
                comment_edits.append(
                    TextEdit(Range.of(last, len(self.lines[last])), f"\n{indent}pass")
                )
        return (
            Fix("Remove the debugger hook", (remove,), preferred=True),
            Fix("Comment out the debugger hook", tuple(comment_edits)),
        )

    def ptvsd(self, ptvsd_calls: list[tuple[ast.Call, str]]) -> None:
        uses = [use for use in self.facts.imports if use.module.split(".", 1)[0] == "ptvsd"]
        if not uses:
            return
        edits: list[TextEdit] = []
        renamed_locals: dict[str, str] = {}  # `from ptvsd import enable_attach` -> `listen`
        seen: set[int] = set()
        for use in uses:
            statement = use.statement
            if id(statement) in seen:
                continue
            seen.add(id(statement))
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.name == "ptvsd" or alias.name.startswith("ptvsd."):
                        line = alias.lineno - 1
                        start = self.char(line, alias.col_offset)
                        edits.append(
                            TextEdit(Range.of(line, start, line, start + len("ptvsd")), "debugpy")
                        )
            elif statement.module == "ptvsd":
                names = []
                for alias in statement.names:
                    new = _PTVSD_RENAMES.get(alias.name, alias.name)
                    if alias.asname:
                        names.append(f"{new} as {alias.asname}")
                    else:
                        names.append(new)
                        renamed_locals[alias.name] = new
                edits.append(
                    TextEdit(self.node_range(statement), f"from debugpy import {', '.join(names)}")
                )
        for call, name in ptvsd_calls:
            short = name.rsplit(".", 1)[-1]
            renamed = _PTVSD_RENAMES.get(short)
            if renamed is None:
                continue
            if isinstance(call.func, ast.Attribute):
                owner = self.segment(call.func.value)
                if owner == "ptvsd" or owner.startswith("ptvsd."):
                    owner = "debugpy" + owner[len("ptvsd") :]  # the import is renamed too
                callee = f"{owner}.{renamed}"
            elif isinstance(call.func, ast.Name):
                callee = renamed_locals.get(call.func.id, call.func.id)
            else:
                continue
            arguments = ""
            if short == "enable_attach":
                address = next((k.value for k in call.keywords if k.arg == "address"), None)
                if address is None and call.args:
                    address = (
                        call.args[0]
                        if _string(call.args[0]) is None
                        else (call.args[1] if len(call.args) > 1 else None)
                    )
                arguments = self.segment(address) if address is not None else _PTVSD_DEFAULT_ADDRESS
            edits.append(TextEdit(self.node_range(call), f"{callee}({arguments})"))
        fix = Fix("Replace ptvsd with debugpy (import and calls)", tuple(edits), preferred=True)
        for use in uses:
            statement = use.statement
            if use.alias is not None:
                where = self.node_range(use.alias)
            else:
                where = self.first_line_range(statement)
            if id(statement) not in seen:
                continue
            seen.discard(id(statement))
            self.add(
                PTVSD_IMPORT,
                "ptvsd is deprecated and unmaintained; use debugpy "
                "(ptvsd.enable_attach(address=...) -> debugpy.listen(address), wait_for_attach() "
                "-> wait_for_client())",
                where,
                (fix,),
            )

    def get_model_path(self, call: ast.Call) -> None:
        argument = (
            call.args[0]
            if call.args
            else next((k.value for k in call.keywords if k.arg == "model_name"), None)
        )
        model_name = _string(argument) if argument is not None else None
        shown = f"'{model_name}'" if model_name else "..."
        self.add(
            GET_MODEL_PATH,
            f"Model.get_model_path({shown}) needs azureml-core in the image and a model "
            "registered under that name (azureml-core v1); prefer "
            "os.path.join(os.environ['AZUREML_MODEL_DIR'], <file>)",
            self.node_range(call),
        )
        models = self.context.project.model_paths
        if model_name and models and argument is not None:
            if any(model.name == model_name or model.stem == model_name for model in models):
                return
            bases = (self.context.path.parent, self.context.project.root)
            if any((base / model_name).exists() for base in bases):
                return
            self.add(
                MODEL_FILE_MISSING,
                f"Model.get_model_path('{model_name}') looks for a model named '{model_name}' "
                f"(azureml-models/{model_name}/<version>), but the project's model paths are "
                f"{self.model_list()}: ModelNotFoundException when it runs",
                self.node_range(argument),
            )

    def model_list(self) -> str:
        return ", ".join(
            self.context.project.relative(model) for model in self.context.project.model_paths
        )

    # AML113
    def check_model_paths(self) -> None:
        for kind, literals, _where in self.facts.path_joins:
            if not literals:
                continue
            parts = [_string(literal) or "" for literal in literals]
            relative = "/".join(part.strip("/") for part in parts if part)
            if not relative or not all(_is_relative_path(part) for part in parts):
                continue
            if kind == "model":
                self.model_dir_file(literals, relative)
            elif _looks_like_model_file(relative):
                self.code_relative_file(literals[-1], relative, None)

    def model_dir_file(self, literals: list[ast.Constant], relative: str) -> None:
        models = self.context.project.model_paths
        if not models:
            return  # where AZUREML_MODEL_DIR points is unknown: say nothing
        for model in models:
            if model.is_dir() and (model / relative).exists():
                return
            if (model.parent / relative).exists():
                return
        where = self.node_range(literals[0])
        end = self.node_range(literals[-1])
        self.add(
            MODEL_FILE_MISSING,
            f"'{relative}' is joined to AZUREML_MODEL_DIR, but the model ({self.model_list()}) "
            f"has no '{relative}': loading it fails with FileNotFoundError",
            Range(where.start, end.end),
        )

    def code_relative_file(self, literal: ast.expr, relative: str, opener: str | None) -> None:
        """A model file named relative to the code folder: the working directory of the server
        and the folder of the entry script are both /var/azureml-app in the container."""
        bases = (self.context.path.parent, self.context.project.root)
        if any((base / relative).exists() for base in bases):
            return
        script = self.script_name()
        where = f"the working directory ({CONTAINER_APP_ROOT}, the code folder)"
        if opener is None:
            where = f"the folder of {script} ({CONTAINER_APP_ROOT} in the container)"
        lead = f"{opener} opens '{relative}'" if opener else f"'{relative}' is resolved"
        self.add(
            MODEL_FILE_MISSING,
            f"{lead} relative to {where}, but there is no '{relative}' next to {script}: "
            "FileNotFoundError when it is loaded; model files belong under AZUREML_MODEL_DIR",
            self.node_range(literal),
        )

    # AML111, AML114
    def check_returns(self) -> None:
        facts = self.facts
        if facts.run is None:
            return
        for statement, where in facts.returns:
            if not where.except_names or statement.value is None:
                continue
            leaked = _leaked_exception(facts, statement.value, where.except_names)
            if leaked:
                self.add(
                    EXCEPTION_RETURNED,
                    f"run() returns the text of exception {leaked} to the caller: useful while "
                    "debugging, but in production it leaks internals and answers HTTP 200 for a "
                    "failure; log and re-raise instead",
                    self.node_range(statement),
                )
        decorators = {_decorator_name(d) for d in facts.run.decorator_list}
        if "output_schema" in decorators:
            return  # inference-schema serialises numpy and pandas values itself
        for _statement, offending in facts.unsafe_at_return:
            described = self.segment(offending)
            if len(described) > 60:
                described = described[:57] + "..."
            end = self.node_range(offending).end
            self.add(
                NOT_JSON_SERIALISABLE,
                f"run() returns {described}, which is a numpy array (or similar), not JSON: the "
                "server's json.dumps raises TypeError and every request gets HTTP 500; append "
                ".tolist()",
                self.node_range(offending),
                (
                    Fix(
                        "Append .tolist()",
                        (TextEdit(Range(end, end), ".tolist()"),),
                        preferred=True,
                    ),
                ),
            )

    # AML116
    def check_imports(self) -> None:
        conda_file = self.context.project.conda_file
        if conda_file is None:
            return
        conda_text = self.context.read_text(conda_file)
        if conda_text is None:
            return
        environment, declared = _environment(conda_text)
        if declared is None:
            return
        declared = declared | self.referenced_requirements(environment, conda_file)
        provided = import_map.provided_by(declared)
        reported: set[str] = set()
        for use in self.facts.imports:
            where = use.where
            if where.optional_import or where.type_only or where.main_guard:
                continue
            candidates = import_map.distributions_for_import(use.module)
            if not candidates or any(candidate in provided for candidate in candidates):
                continue
            distribution = candidates[0]
            if distribution in reported or self.is_local_module(use.module):
                continue
            reported.add(distribution)
            self.missing_distribution(use, distribution, environment, conda_file, conda_text)

    def referenced_requirements(
        self, environment: CondaEnvironment, conda_file: Path
    ) -> frozenset[str]:
        """Names from `-r requirements.txt` entries and from URL or wheel references."""
        names: set[str] = set()
        for dependency in environment.pip_entries():
            if not dependency.is_option:
                continue
            raw = dependency.spec or dependency.raw.strip()
            option = re.match(r"^(?:-r|--requirement)\s*=?\s*(\S+)", raw)
            if option:
                text = self.context.read_text(conda_file.parent / option.group(1))
                for line in (text or "").splitlines():
                    match = _REQUIREMENT_NAME.match(line)
                    if match and not line.lstrip().startswith("#"):
                        names.add(import_map.canonical_distribution(match.group(1)))
                continue
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
            if egg:
                names.add(import_map.canonical_distribution(egg.group(1)))
                continue
            tail = raw.rstrip("/").rsplit("/", 1)[-1].split("@", 1)[0]
            tail = re.sub(r"\.git$", "", tail)
            if tail.endswith((".whl", ".tar.gz", ".zip")):
                tail = tail.split("-", 1)[0]
            if tail:
                names.add(import_map.canonical_distribution(tail))
        return frozenset(names)

    def is_local_module(self, module: str) -> bool:
        top = module.split(".", 1)[0]
        for base in (self.context.path.parent, self.context.project.root):
            if (base / f"{top}.py").is_file() or (base / top).is_dir():
                return True
        return False

    def missing_distribution(
        self,
        use: _ImportUse,
        distribution: str,
        environment: CondaEnvironment,
        conda_file: Path,
        conda_text: str,
    ) -> None:
        statement = use.statement
        if use.alias is not None:
            where = self.node_range(use.alias)
        else:
            where = self.first_line_range(statement)
            line = self.lines[where.start.line]
            module = (
                statement.module
                if isinstance(statement, ast.ImportFrom) and statement.module
                else ""
            )
            at = line.find(module, where.start.character) if module else -1
            if at >= 0:
                where = Range.of(where.start.line, at, where.start.line, at + len(module))
        scope = use.where.scope
        if scope in ("module", "class", "init"):
            consequence = "the worker fails to start with ModuleNotFoundError (CrashLoopBackOff)"
        elif scope == "run":
            consequence = "every request fails with ModuleNotFoundError (HTTP 500)"
        else:
            consequence = "ModuleNotFoundError when that code runs"
        conda_name = self.context.project.relative(conda_file)
        if isinstance(statement, ast.ImportFrom) and statement.module:
            top = statement.module
        else:
            top = use.module
        edit = _add_pip_dependency(environment, conda_text, conda_file, distribution)
        fixes = (
            (
                Fix(
                    f"Add {distribution} to the pip dependencies in {conda_name}",
                    (edit,),
                    preferred=True,
                ),
            )
            if edit
            else ()
        )
        self.add(
            IMPORT_NOT_PROVIDED,
            f"'{top}' is imported, but {distribution} is not in {conda_name} (neither a conda nor "
            f"a pip dependency, nor installed by one): {consequence}",
            where,
            fixes,
        )


# --- Helpers for the rules ----------------------------------------------------------------------

_INIT_STUB = '''def init():
    """Called once per worker before the first request: load the model into a global here."""
'''
_RUN_STUB = '''def run(raw_data):
    """Called per request with the request body; return something JSON-serialisable."""
    raise NotImplementedError("run() is a stub: parse raw_data, call the model, return the result")
'''


def _all_arguments(arguments: ast.arguments) -> list[ast.arg]:
    found = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
    if arguments.vararg is not None:
        found.append(arguments.vararg)
    if arguments.kwarg is not None:
        found.append(arguments.kwarg)
    return found


def _decorator_name(decorator: ast.expr) -> str:
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    dotted = _dotted(decorator)
    return dotted.rsplit(".", 1)[-1] if dotted else ""


def _address(node: ast.expr | None) -> tuple[str | None, int | None]:
    if node is None:
        return None, None
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return "127.0.0.1", node.value
    if isinstance(node, ast.Tuple) and len(node.elts) == 2:
        host = _string(node.elts[0])
        port_node = node.elts[1]
        port = (
            port_node.value
            if isinstance(port_node, ast.Constant) and isinstance(port_node.value, int)
            else None
        )
        return host, port
    return None, None


def _is_loader(name: str, last: str) -> bool:
    if name in _LOADERS or last in _LOADER_NAMES:
        return True
    return name.startswith("mlflow.") and last == "load_model"


def _unsafe_value(facts: _Facts, node: ast.expr, unsafe_names: set[str]) -> ast.expr | None:
    """The part of a returned value that json.dumps certainly rejects (an array, a frame)."""
    kind = type(node)
    if kind is ast.Call:
        func = node.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Attribute) and (
            func.attr in _PREDICT_METHODS or func.attr == "numpy"
        ):
            return node
        name = _qualified(facts, func)
        if name in _ARRAY_FACTORIES:
            return node
        if name == "json.dumps" and node.args:  # type: ignore[attr-defined]
            return _unsafe_value(facts, node.args[0], unsafe_names)  # type: ignore[attr-defined]
        return None
    if kind is ast.Name:
        return node if node.id in unsafe_names else None  # type: ignore[attr-defined]
    if kind is ast.Dict:
        for value in node.values:  # type: ignore[attr-defined]
            found = _unsafe_value(facts, value, unsafe_names)
            if found is not None:
                return found
        return None
    if kind is ast.List or kind is ast.Tuple:
        for element in node.elts:  # type: ignore[attr-defined]
            found = _unsafe_value(facts, element, unsafe_names)
            if found is not None:
                return found
    return None


def _leaked_exception(facts: _Facts, value: ast.expr, except_names: tuple[str, ...]) -> str | None:
    for node in ast.walk(value):
        if (
            isinstance(node, ast.Name)
            and node.id in except_names
            and isinstance(node.ctx, ast.Load)
        ):
            return f"'{node.id}'"
        if isinstance(node, ast.Call) and _qualified(facts, node.func) in (
            "traceback.format_exc",
            "traceback.format_exception",
        ):
            return "traceback"
    return None


@lru_cache(maxsize=8)
def _environment(conda_text: str) -> tuple[CondaEnvironment, frozenset[str] | None]:
    """The conda file read once per text, with the declared names (None when unreadable)."""
    environment = parse_conda_environment(conda_text)
    if any(problem.kind != "pip-not-list" for problem in environment.problems):
        return environment, None
    return environment, frozenset(d.name for d in environment.dependencies if d.name)


def _add_pip_dependency(
    environment: CondaEnvironment, conda_text: str, conda_file: Path, distribution: str
) -> TextEdit | None:
    lines = conda_text.split("\n")
    if environment.pip_insert is not None:
        point = environment.pip_insert
        text = f"{point.prefix}{distribution}\n"
    elif environment.conda_insert is not None and environment.pip_key is None:
        point = environment.conda_insert
        nested = " " * (len(point.prefix) + 2) + "- "
        text = f"{point.prefix}pip:\n{nested}{distribution}\n"
        if not environment.declares("pip"):
            text = f"{point.prefix}pip\n" + text
    else:
        return None
    if point.line >= len(lines):
        # After the last line of a file without a final newline.
        return TextEdit(
            Range.of(len(lines) - 1, len(lines[-1])), "\n" + text.rstrip("\n"), path=conda_file
        )
    return TextEdit(Range.of(point.line, 0), text, path=conda_file)


def _debug_try_except(
    facts: _Facts, text: str, run: ast.FunctionDef | ast.AsyncFunctionDef
) -> Fix | None:
    body = run.body
    first = body[0]
    if isinstance(first, ast.Expr) and _string(first.value) is not None:
        body = body[1:]
    if not body or (len(body) == 1 and isinstance(body[0], ast.Try)):
        return None
    if body[0].lineno == run.lineno:
        return None  # a one-line function
    if any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in ast.walk(run)):
        return None  # a generator cannot `return` a value from the handler
    lines = facts.lines
    start, end = body[0].lineno - 1, (body[-1].end_lineno or body[-1].lineno) - 1
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    unit = (
        indent[: len(indent) - len(lines[run.lineno - 1]) + len(lines[run.lineno - 1].lstrip())]
        or "    "
    )
    inside_strings = _lines_inside_strings(text, start + 1, end + 1)
    moved = []
    for number in range(start, end + 1):
        line = lines[number]
        moved.append(line if (not line.strip() or number in inside_strings) else unit + line)
    new_text = (
        f"{indent}# Debug only: returns the error to the caller; remove before deploying to "
        "production.\n"
        f"{indent}try:\n" + "\n".join(moved) + "\n"
        f"{indent}except Exception as error:\n{indent}{unit}import traceback\n\n"
        f'{indent}{unit}return {{"error": repr(error), "traceback": traceback.format_exc()}}'
    )
    edit = TextEdit(Range.of(start, 0, end, len(lines[end])), new_text)
    return Fix(
        "Wrap run() in a try/except that returns the error (debug only)", (edit,), kind="refactor"
    )


def _lines_inside_strings(text: str, first: int, last: int) -> set[int]:
    """0-based lines in [first, last] (1-based) that continue a multi-line string (which must not
    be re-indented)."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > last:
                break
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                for number in range(token.start[0] + 1, token.end[0] + 1):
                    if first <= number <= last:
                        inside.add(number - 1)
    except (tokenize.TokenError, SyntaxError):
        pass
    return inside
