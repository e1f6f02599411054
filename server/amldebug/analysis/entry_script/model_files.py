"""Loading the model: from where, when, and whether the file is there (AML112, AML113, AML115)."""

from __future__ import annotations

import ast

from amldebug.analysis.entry_script.ast_helpers import decorator_name, string_value
from amldebug.analysis.entry_script.definitions import (
    GET_MODEL_PATH,
    LOAD_AT_IMPORT,
    MODEL_FILE_MISSING,
)
from amldebug.analysis.entry_script.facts import Where, main_only_functions
from amldebug.analysis.entry_script.path_facts import is_relative_path, looks_like_model_file
from amldebug.analysis.entry_script.report import Report
from amldebug.diagnostics import Range
from amldebug.project import CONTAINER_APP_ROOT

# Module-level functions that load a model from a file.
LOADERS = {
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
LOADER_NAMES = {"load_model", "from_pretrained", "InferenceSession", "load_learner"}


def model_call(report: Report, call: ast.Call, name: str, where: Where) -> None:
    """AML112, AML115 and AML113 for one call, `name` its qualified callee."""
    parts = name.split(".")
    last = parts[-1]
    if (
        last == "get_model_path"
        and len(parts) > 1
        and parts[-2].endswith("Model")
        and server_runs(report, where, call)
        and not where.model_lookup_guarded  # a lookup with a fallback the author planned
    ):
        get_model_path(report, call)
    if (
        where.scope in ("module", "class")
        and not where.main_guard
        and is_loader(name, last)
        and not _schema_built_at_import(report)
    ):
        report.add(
            LOAD_AT_IMPORT,
            f"{name}() runs when the server imports the script, outside init(): a failure "
            "looks like an import error, and every worker repeats it; move it into "
            "init() and keep the result in a global",
            report.node_range(call),
        )
    if (name in ("open", "io.open") or is_loader(name, last) or last == "load") and call.args:
        literal = string_value(call.args[0])
        if (
            literal is not None
            and is_relative_path(literal)
            and looks_like_model_file(literal)
            and server_runs(report, where, call)
        ):
            code_relative_file(report, call.args[0], literal, f"{name}()")


def server_runs(report: Report, where: Where, node: ast.AST) -> bool:
    """False for code the inference server never runs: `if __name__ == "__main__":` blocks and
    the functions only they call (a local test harness with its own paths)."""
    if where.main_guard:
        return False
    line = node.lineno  # type: ignore[attr-defined]
    return not any(first <= line <= last for first, last in main_only_functions(report.text))


def _schema_built_at_import(report: Report) -> bool:
    """run()'s @input_schema/@output_schema take values the module computes at import (samples
    read from the model folder): then import-time loading is the script's design, not a slip."""
    run = report.facts.run
    if run is None:
        return False
    assigned = {
        target.id
        for statement in report.facts.tree.body
        if isinstance(statement, (ast.Assign, ast.AnnAssign))
        for target in (
            statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        )
        if isinstance(target, ast.Name)
    }
    return any(
        decorator_name(decorator) in ("input_schema", "output_schema")
        and isinstance(decorator, ast.Call)
        and any(
            isinstance(node, ast.Name) and node.id in assigned
            for argument in (*decorator.args, *(k.value for k in decorator.keywords))
            for node in ast.walk(argument)
        )
        for decorator in run.decorator_list
    )


def get_model_path(report: Report, call: ast.Call) -> None:
    argument = (
        call.args[0]
        if call.args
        else next((k.value for k in call.keywords if k.arg == "model_name"), None)
    )
    model_name = string_value(argument) if argument is not None else None
    shown = f"'{model_name}'" if model_name else "..."
    report.add(
        GET_MODEL_PATH,
        f"Model.get_model_path({shown}) needs azureml-core in the image and a model "
        "registered under that name (azureml-core v1); prefer "
        "os.path.join(os.environ['AZUREML_MODEL_DIR'], <file>)",
        report.node_range(call),
    )
    models = report.context.project.model_paths
    if model_name and models and argument is not None:
        if any(model.name == model_name or model.stem == model_name for model in models):
            return
        bases = (report.context.path.parent, report.context.project.root)
        if any((base / model_name).exists() for base in bases):
            return
        report.add(
            MODEL_FILE_MISSING,
            f"Model.get_model_path('{model_name}') looks for a model named '{model_name}' "
            f"(azureml-models/{model_name}/<version>), but the project's model paths are "
            f"{model_list(report)}: ModelNotFoundException when it runs",
            report.node_range(argument),
        )


def model_list(report: Report) -> str:
    return ", ".join(
        report.context.project.relative(model) for model in report.context.project.model_paths
    )


# AML113
def check_model_paths(report: Report) -> None:
    for kind, literals, where in report.facts.path_joins:
        if not literals or not server_runs(report, where, literals[0]):
            continue
        parts = [string_value(literal) or "" for literal in literals]
        relative = "/".join(part.strip("/") for part in parts if part)
        if not relative or not all(is_relative_path(part) for part in parts):
            continue
        if kind == "model":
            model_dir_file(report, literals, relative)
        elif looks_like_model_file(relative):
            code_relative_file(report, literals[-1], relative, None)


def model_dir_file(report: Report, literals: list[ast.Constant], relative: str) -> None:
    """A literal joined to AZUREML_MODEL_DIR, judged by Azure ML's layout: the one model keeps
    its own name there (a folder `model` is `$AZUREML_MODEL_DIR/model/...`, a file sits directly
    in it). With several models the folder holds one `<name>/<version>` per model: not judged."""
    models = report.context.project.model_paths
    if len(models) != 1:
        return  # where AZUREML_MODEL_DIR points, and what it holds, is not known here
    (model,) = models
    named = relative == model.name or (model.is_dir() and relative.startswith(model.name + "/"))
    if named and (model.parent / relative).exists():
        return
    where = report.node_range(literals[0])
    end = report.node_range(literals[-1])
    message = (
        f"'{relative}' is joined to AZUREML_MODEL_DIR, but the model "
        f"({report.context.project.relative(model)}) puts no '{relative}' there: loading it fails "
        "with FileNotFoundError"
    )
    if model.is_dir() and (model / relative).exists():
        # The old local-debug layout put a folder's contents straight into AZUREML_MODEL_DIR.
        message += (
            f". Azure ML keeps the folder's name: the file is at "
            f"'{model.name}/{relative}' under AZUREML_MODEL_DIR"
        )
    report.add(MODEL_FILE_MISSING, message, Range(where.start, end.end))


def code_relative_file(
    report: Report, literal: ast.expr, relative: str, opener: str | None
) -> None:
    """A model file named relative to the code folder: the working directory of the server
    and the folder of the entry script are both /var/azureml-app in the container."""
    bases = (report.context.path.parent, report.context.project.root)
    if any((base / relative).exists() for base in bases):
        return
    script = report.script_name()
    where = f"the working directory ({CONTAINER_APP_ROOT}, the code folder)"
    if opener is None:
        where = f"the folder of {script} ({CONTAINER_APP_ROOT} in the container)"
    lead = f"{opener} opens '{relative}'" if opener else f"'{relative}' is resolved"
    report.add(
        MODEL_FILE_MISSING,
        f"{lead} relative to {where}, but there is no '{relative}' next to {script}: "
        "FileNotFoundError when it is loaded; model files belong under AZUREML_MODEL_DIR",
        report.node_range(literal),
    )


def is_loader(name: str, last: str) -> bool:
    if name in LOADERS or last in LOADER_NAMES:
        return True
    return name.startswith("mlflow.") and last == "load_model"
