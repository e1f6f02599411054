"""The entry-script rules' catalogue entries (code, severity, documentation): AML101-AML115 and
AML117-AML119.

AML116 lives with its check in `import_rule.py`; the checks for the others are grouped by family
in the sibling modules.
"""

from __future__ import annotations

from amldebug.diagnostics import Severity
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
        "failure.\n\nThe text is followed through run()'s variables and containers: "
        '`result = str(e)` then `return json.dumps({"error": result})`, an f-string, a dict '
        "or list the exception text was put into, `traceback.format_exc()`. A handler that "
        "re-raises does not count; `type(e).__name__` alone is not the exception's text."
    ),
    fix=(
        "Before deploying, log the exception and re-raise it (or return an `AMLResponse` with "
        "status 500 and a generic message)."
    ),
    example=(
        "```python\n# debug only\nexcept Exception as e:\n    result = str(e)\n"
        'return json.dumps({"error": result})\n```\n\n'
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
        "v2 deployments and locally. A call inside a `try:` whose handler catches "
        "`ModelNotFoundException` has a fallback its author planned, and is not reported."
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
        '"model.pkl")`, `Path(...) / "model.pkl"`, or a variable holding it) must exist where '
        "Azure ML puts the deployment's one model: a folder keeps its own name under "
        "`AZUREML_MODEL_DIR` (`model.path: model` gives `$AZUREML_MODEL_DIR/model/...`), a "
        "single file sits directly in it. With no model path known (no deployment YAML "
        "`model.path`, no `--model`) or several models, it is not checked;\n"
        "- a relative model file (`.pkl`, `.joblib`, `.onnx`, `.pt`, `.h5`, ...) "
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
UNDEFINED_NAME = Rule(
    code="AML117",
    name="undefined-name",
    severity=Severity.ERROR,
    summary="a name the entry script reads is defined nowhere",
    why=(
        "A name that is neither imported, assigned, a parameter nor a builtin raises `NameError` "
        "when its line runs: at module level or in `init()` the worker never boots "
        "(CrashLoopBackOff); in `run()` every request fails with HTTP 500. Typical causes: a "
        "class used but never imported, `np.` after `import numpy` (without `as np`), and a "
        "model loaded in `init()` whose result is never assigned, so `run()` reads a name that "
        "does not exist.\n\nFound with pyflakes (undefined-name messages only). Not reported: "
        "scripts with a star import or with `exec`/`globals()` tricks (the names may come from "
        'there), names in annotations, code under `if __name__ == "__main__":`, and names '
        "`init()` assigns without `global` (AML106 says what to do)."
    ),
    fix="Import or define the name, or correct its spelling.",
    example=(
        "```python\n# wrong\nimport numpy\n\ndef run(raw_data):\n    return np.array(...)\n```"
        "\n\n```python\n# right\nimport numpy as np\n\ndef run(raw_data):\n    return "
        "np.array(...).tolist()\n```"
    ),
)
STATUS_TUPLE = Rule(
    code="AML118",
    name="run-returns-status-tuple",
    severity=Severity.WARNING,
    summary="`run()` returns a `(body, status)` tuple",
    why=(
        "Unlike Flask views, `run()` cannot set the HTTP status by returning a tuple: the "
        'inference server serialises whatever `run()` returns, so `return {"error": ...}, 400` '
        'answers HTTP 200 with the JSON list `[{"error": ...}, 400]`. Clients and monitoring '
        "see a success."
    ),
    fix=(
        "Return an `AMLResponse(body, status)` (from `azureml_inference_server_http.api."
        "aml_response`, or `azureml.contrib.services.aml_response` in older images), or raise "
        "an exception for a 500."
    ),
    example=(
        '```python\n# wrong\nreturn {"error": "no data"}, 400\n```\n\n```python\n# right\n'
        "from azureml_inference_server_http.api.aml_response import AMLResponse\n\n"
        'return AMLResponse({"error": "no data"}, 400, json_str=True)\n```'
    ),
)
REMOVED_API = Rule(
    code="AML119",
    name="removed-api",
    severity=Severity.ERROR,
    summary="`sklearn.externals.joblib` used with a scikit-learn that no longer has it",
    why=(
        "scikit-learn 0.21 deprecated its vendored copy of joblib and 0.23 removed it. With "
        "scikit-learn unpinned (pip installs the newest) or pinned at 0.23 or later, `from "
        "sklearn.externals import joblib` raises `ImportError: cannot import name 'joblib'` when "
        "the server imports the script: the worker never boots (CrashLoopBackOff). Reported "
        "only when the conda file declares scikit-learn and lets it be 0.23 or later (on Python "
        "3.6 or later); imports inside `try: ... except ImportError` are fallbacks and fine."
    ),
    fix="Import joblib itself (`import joblib`); scikit-learn depends on it, so it is installed.",
    example=(
        "```python\n# wrong\nfrom sklearn.externals import joblib\n```\n\n```python\n# right\n"
        "import joblib\n```"
    ),
    fixable=True,
)
