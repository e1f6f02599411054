"""Deployments declared by Azure ML SDK calls with literal arguments, in `.py` files and notebooks.

v1: `InferenceConfig(entry_script=, source_directory=, environment=, conda_file=)`,
`ParallelRunConfig(...)` (batch), `ContainerImage.image_configuration(execution_script=,
conda_file=)`, with environments from `Environment.from_conda_specification(name, file)`,
`Environment.from_pip_requirements(name, file)` and
`CondaDependencies(conda_dependencies_file_path=)`.
v2: `ManagedOnlineDeployment` / `KubernetesOnlineDeployment` / `BatchDeployment` with
`CodeConfiguration(code=, scoring_script=)`, `Environment(conda_file=, image=)` and `Model(path=)`.

Arguments are followed through simple names bound earlier in the same file (or notebook): string
constants, `os.path.join` / `Path` / `/` of known parts, and calls assigned to a name. Anything
else is unknown, and an unknown part is left out rather than guessed.
"""

from __future__ import annotations

import ast
import json
import os
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from amldebug.deployments.build_context import conda_file_of_build
from amldebug.deployments.model import (
    Deployment,
    DeploymentKind,
    EnvironmentSource,
    ModelSource,
    Origin,
)

MAX_SOURCE_TEXT = 2_000_000
# Words without which a file declares no deployment: a cheap filter before parsing.
_TRIGGER = re.compile(
    r"InferenceConfig|ParallelRunConfig|image_configuration|OnlineDeployment|BatchDeployment"
    r"|RunFunction|execution_script"
)
_ONLINE_DEPLOYMENTS = {"ManagedOnlineDeployment", "KubernetesOnlineDeployment", "OnlineDeployment"}
_BATCH_DEPLOYMENTS = {"BatchDeployment", "ModelBatchDeployment", "PipelineComponentBatchDeployment"}
_MAGIC_LINE = re.compile(r"^\s*[%!]")
# How many names deep a value is followed (`a = b`, `b = c`, ...): bounds a cycle's cost.
_MAX_NAME_DEPTH = 20
# How many folders above a script a relative path is looked for when it is not beside it.
_MAX_ANCESTORS = 3


@dataclass(frozen=True)
class _Source:
    path: Path
    tree: ast.Module
    # For notebooks: the code cell of each line of the joined source (0-based cell numbers).
    cells: tuple[int, ...] | None = None

    def origin(self, node: ast.AST, how: str) -> Origin:
        line = max(getattr(node, "lineno", 1) - 1, 0)
        if self.cells is not None and line < len(self.cells):
            return Origin(self.path, 0, f"{how} in code cell {self.cells[line] + 1}")
        return Origin(self.path, line, how)


def mentions_deployment(text: str) -> bool:
    return _TRIGGER.search(text) is not None


def deployments_from_python(path: Path, text: str) -> list[Deployment]:
    """Deployments declared in a Python file's text."""
    if len(text) > MAX_SOURCE_TEXT or not mentions_deployment(text):
        return []
    tree = _parse(text)
    if tree is None:
        # A notebook exported as .py keeps its magics (`%%time`, `!curl ...`): blank them.
        tree = _parse("\n".join(_without_magics(text.split("\n"))))
    return [] if tree is None else _Calls(_Source(path, tree)).deployments()


def deployments_from_notebook(path: Path, text: str) -> list[Deployment]:
    """Deployments declared in a Jupyter notebook's code cells (magics and shell lines dropped)."""
    if len(text) > MAX_SOURCE_TEXT or not mentions_deployment(text):
        return []
    try:
        notebook = json.loads(text)
    except ValueError:
        return []
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return []
    lines: list[str] = []
    owners: list[int] = []
    for number, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source")
        text_of_cell = "".join(source) if isinstance(source, list) else str(source or "")
        for line in _without_magics(text_of_cell.split("\n")):
            lines.append(line)
            owners.append(number)
        # A cell that does not parse on its own must not hide the others: parse cell by cell
        # below when the joined source fails.
    tree = _parse("\n".join(lines))
    if tree is None:
        tree = _parse_cells_separately(lines, owners)
    if tree is None:
        return []
    return _Calls(_Source(path, tree, tuple(owners))).deployments()


def _without_magics(lines: list[str]) -> list[str]:
    """The lines with IPython magics and shell escapes blanked, backslash continuations too
    (`!curl -X POST \\` goes on over several lines); the numbering stays."""
    kept: list[str] = []
    continued = False
    for line in lines:
        magic = continued or _MAGIC_LINE.match(line) is not None
        kept.append("" if magic else line)
        continued = magic and line.rstrip().endswith("\\")
    return kept


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _parse_cells_separately(lines: list[str], owners: list[int]) -> ast.Module | None:
    """Each cell parsed alone and the ones that parse kept, lines numbered as in the joined text."""
    body: list[ast.stmt] = []
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and owners[end] == owners[start]:
            end += 1
        cell = _parse("\n" * start + "\n".join(lines[start:end]))
        if cell is not None:
            body.extend(cell.body)
        start = end
    return ast.Module(body=body, type_ignores=[]) if body else None


class _Calls:
    """One pass over the statements binding names, then the deployment-declaring calls."""

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.base = source.path.parent
        # name -> (line, value) of each assignment, in line order: a name means what it was
        # last bound to before the line that uses it (a notebook reuses `env` for each model).
        self.bindings: dict[str, list[tuple[int, ast.expr]]] = {}
        # `env.python.conda_dependencies = CondaDependencies(...)`: name -> the dependencies call
        self.attached_dependencies: dict[str, list[tuple[int, ast.expr]]] = {}
        self.calls: list[ast.Call] = []
        # `deployment.code_configuration = CodeConfiguration(...)` before a resubmission.
        self.replaced_code: list[tuple[ast.Name, ast.Assign]] = []
        self._depth = 0
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Assign):
                self._bind(node)
            elif isinstance(node, ast.Call):
                self.calls.append(node)
        self.calls.sort(key=lambda call: (call.lineno, call.col_offset))
        for bound in (*self.bindings.values(), *self.attached_dependencies.values()):
            bound.sort(key=lambda binding: binding[0])

    def _bind(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.bindings.setdefault(target.id, []).append((node.lineno, node.value))
            elif (
                isinstance(target, ast.Attribute)
                and target.attr == "code_configuration"
                and isinstance(target.value, ast.Name)
            ):
                self.replaced_code.append((target.value, node))
            elif (
                isinstance(target, ast.Attribute)
                and target.attr == "conda_dependencies"
                and isinstance(target.value, ast.Attribute)
                and isinstance(target.value.value, ast.Name)
            ):
                name = target.value.value.id
                self.attached_dependencies.setdefault(name, []).append((node.lineno, node.value))

    @staticmethod
    def _before(bound: list[tuple[int, ast.expr]] | None, line: int) -> ast.expr | None:
        """The value last bound before `line`; else the first one (a use inside a function
        defined above the assignment)."""
        if not bound:
            return None
        earlier = [value for bound_line, value in bound if bound_line < line]
        return earlier[-1] if earlier else bound[0][1]

    def bound_value(self, name: ast.Name) -> ast.expr | None:
        return self._before(self.bindings.get(name.id), name.lineno)

    # -- values ----------------------------------------------------------------------------------

    def string(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            value = self.bound_value(node)
            if value is None or self._depth > _MAX_NAME_DEPTH:
                return None
            self._depth += 1
            try:
                return self.string(value)
            finally:
                self._depth -= 1
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
            left, right = self.string(node.left), self.string(node.right)
            if left is None or right is None:
                return None
            return left + right if isinstance(node.op, ast.Add) else os.path.join(left, right)
        if isinstance(node, ast.Call) and _name(node.func) in ("join", "Path", "PurePath"):
            parts = [self.string(argument) for argument in node.args]
            if parts and all(part is not None for part in parts) and not node.keywords:
                return os.path.join(*[part for part in parts if part is not None])
        return None

    def call(self, node: ast.expr | None) -> ast.Call | None:
        if isinstance(node, ast.Call):
            return node
        if isinstance(node, ast.Name):
            value = self.bound_value(node)
            return value if isinstance(value, ast.Call) else None
        return None

    def path(self, node: ast.expr | None, base: Path | None = None) -> Path | None:
        value = self.string(node)
        if not value or "://" in value or value.startswith("azureml:"):
            return None
        folder = base or self.base
        relative = os.path.expanduser(value)
        path = Path(os.path.normpath(folder / relative))
        if path.exists() or os.path.isabs(relative):
            return path
        # Scripts and notebooks are often run from the repository root (or moved after they
        # ran): a path that exists only from a folder above is the one meant.
        for ancestor in folder.parents[:_MAX_ANCESTORS]:
            candidate = Path(os.path.normpath(ancestor / relative))
            if candidate.exists():
                return candidate
        return path

    # -- deployments -------------------------------------------------------------------------------

    def deployments(self) -> list[Deployment]:
        found: list[Deployment] = []
        for call in self.calls:
            name = _name(call.func)
            if name in ("InferenceConfig", "ParallelRunConfig"):
                deployment = self._v1(call, "batch" if name == "ParallelRunConfig" else "online")
            elif name == "image_configuration" or (
                # The 2018 preview API: Image.create(...) / Webservice.deploy(...) with the
                # script and conda file as arguments.
                name in ("create", "deploy") and _keyword(call, "execution_script") is not None
            ):
                deployment = self._v1_image(call)
            elif name == "RunFunction":
                deployment = self._parallel_task(call)
            elif name in _ONLINE_DEPLOYMENTS or name in _BATCH_DEPLOYMENTS:
                deployment = self._v2(call, "batch" if name in _BATCH_DEPLOYMENTS else "online")
            else:
                deployment = None
            if deployment is not None:
                found.append(deployment)
        for target, assignment in self.replaced_code:
            updated = self._updated(target, assignment)
            if updated is not None:
                found.append(updated)
        return found

    def _updated(self, target: ast.Name, assignment: ast.Assign) -> Deployment | None:
        """`deployment.code_configuration = CodeConfiguration(...)` on a v2 deployment (also
        through `deployment = ...begin_create_or_update(deployment).result()`): the same
        deployment running other code, `code=deployment.code_configuration.code` kept."""
        made = self.call(target) if self.call(assignment.value) is not None else None
        for _ in range(_MAX_NAME_DEPTH):
            if made is None:
                return None
            maker = _name(made.func)
            if maker in _ONLINE_DEPLOYMENTS or maker in _BATCH_DEPLOYMENTS:
                break
            if maker == "result":
                inner = _receiver(made)
            elif maker in ("begin_create_or_update", "create_or_update") and made.args:
                inner = made.args[0]
            else:
                return None
            made = self.call(inner) if inner is not None else None
        else:
            return None
        kind: DeploymentKind = "batch" if _name(made.func) in _BATCH_DEPLOYMENTS else "online"
        return self._v2(made, kind, assignment)

    def _v1(self, call: ast.Call, kind: DeploymentKind) -> Deployment | None:
        how = f"{_name(call.func)}(...) call"
        origin = self.source.origin(call, how)
        source_directory = self.path(_keyword(call, "source_directory"))
        script = self.string(_keyword(call, "entry_script"))
        if not script:
            return None
        code_root = source_directory or self.base
        environment = self._v1_environment(call, origin, code_root)
        return Deployment(
            kind=kind,
            origin=origin,
            entry_script=self.path(_keyword(call, "entry_script"), code_root),
            code_root=code_root,
            environment=environment,
        )

    def _v1_environment(
        self, call: ast.Call, origin: Origin, code_root: Path
    ) -> EnvironmentSource | None:
        conda = _keyword(call, "conda_file")
        if conda is not None:
            conda_path = self.path(conda, code_root)
            if conda_path is None:
                return EnvironmentSource("unknown", origin)
            return EnvironmentSource("conda", origin, conda_file=conda_path)
        environment = _keyword(call, "environment")
        if environment is None:
            return None
        return self._environment_value(environment, origin)

    def _environment_value(self, node: ast.expr, origin: Origin) -> EnvironmentSource:
        attached = (
            self._before(self.attached_dependencies.get(node.id), node.lineno)
            if isinstance(node, ast.Name)
            else None
        )
        if attached is not None:
            dependencies = self.call(attached)
            if dependencies is not None:
                conda = self.path(_keyword(dependencies, "conda_dependencies_file_path"))
                if conda is not None:
                    return EnvironmentSource("conda", origin, conda_file=conda)
            return EnvironmentSource("unknown", origin)
        reference = self.string(node) or self._workspace_environment(node)
        if reference is not None:
            return self._registered(reference, origin)
        made_here = _named_by_attribute(node)
        if made_here is not None:
            return self._environment_value(made_here, origin)
        made = self._environment_call(node)
        if made is None:
            return EnvironmentSource("unknown", origin)
        maker = _name(made.func)
        if maker == "from_conda_specification":
            conda = self.path(_argument(made, 1, "file_path"))
            if conda is not None:
                return EnvironmentSource("conda", origin, conda_file=conda)
        elif maker == "from_pip_requirements":
            requirements = self.path(_argument(made, 1, "file_path"))
            if requirements is not None:
                return EnvironmentSource("pip", origin, requirements_file=requirements)
        elif maker == "Environment":
            conda = self.path(_keyword(made, "conda_file"))
            image = self.string(_keyword(made, "image"))
            if conda is not None:
                return EnvironmentSource("conda", origin, conda_file=conda, image=image)
            built = self._built_conda_file(made)
            if built is not None:
                how = f"{origin.how}, conda file installed by the build context's Dockerfile"
                return EnvironmentSource("conda", replace(origin, how=how), conda_file=built)
            if image and _keyword(made, "build") is None:
                return EnvironmentSource("image", origin, image=image)
        elif maker == "get":
            # v1 `Environment.get(ws, name)`, v2 `ml_client.environments.get(name, label=)`
            receiver = _receiver(made)
            position = 0 if receiver is not None and _name(receiver) == "environments" else 1
            reference = self.string(_argument(made, position, "name"))
            if reference is not None:
                return self._registered(reference, origin)
            return EnvironmentSource("registry", origin)
        return EnvironmentSource("unknown", origin)

    def _registered(self, reference: str, origin: Origin) -> EnvironmentSource:
        """A registered environment, by name: the conda file when this file makes it."""
        named = self._named_environment(reference)
        if named is None:
            return EnvironmentSource("registry", origin, reference=reference)
        how = f"{origin.how}, environment '{reference}' made from a conda file here"
        return EnvironmentSource(
            "conda", replace(origin, how=how), conda_file=named, reference=reference
        )

    def _built_conda_file(self, environment: ast.Call) -> Path | None:
        """`Environment(build=BuildContext(path=..., dockerfile_path=...))`: the conda file the
        Dockerfile of that context installs."""
        build = self.call(_keyword(environment, "build"))
        if build is None or _name(build.func) != "BuildContext":
            return None
        context = self.path(_argument(build, 0, "path"))
        if context is None:
            return None
        return conda_file_of_build(context, self.string(_keyword(build, "dockerfile_path")))

    def _workspace_environment(self, node: ast.expr) -> str | None:
        """`ws.environments['name']` (v1): a registered environment, by name."""
        if isinstance(node, ast.Name):
            value = self.bound_value(node)
            node = value if value is not None else node
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environments"
        ):
            return self.string(node.slice)
        return None

    def _named_environment(self, reference: str) -> Path | None:
        """The existing conda file of the `Environment(name=..., conda_file=...)` this file
        makes under the name a deployment refers to (`"my-env"`, `"azureml:my-env:1"`)."""
        name = re.split(r"[:@]", reference.removeprefix("azureml:"), maxsplit=1)[0]
        for call in self.calls:
            maker = _name(call.func)
            if maker == "Environment" and self.string(_keyword(call, "name")) == name:
                conda = self.path(_keyword(call, "conda_file")) or self._built_conda_file(call)
            elif maker == "from_conda_specification" and (
                self.string(_argument(call, 0, "name")) == name
            ):
                conda = self.path(_argument(call, 1, "file_path"))
            else:
                continue
            if conda is not None and conda.is_file():
                return conda
        return None

    def _environment_call(self, node: ast.expr) -> ast.Call | None:
        """The call that makes an environment, through what returns the same environment:
        `Environment.get(ws, name).clone("copy")`, `env.register(ws)`,
        `ml_client.environments.create_or_update(Environment(...))`."""
        made = self.call(node)
        for _ in range(_MAX_NAME_DEPTH):
            if made is None:
                return None
            maker = _name(made.func)
            if maker in ("clone", "register"):
                inner = _receiver(made)
            elif maker == "create_or_update" and made.args:
                inner = made.args[0]
            else:
                return made
            made = self.call(inner) if inner is not None else None
        return made

    def _v1_image(self, call: ast.Call) -> Deployment | None:
        origin = self.source.origin(
            call, f"v1 image: {_name(call.func)}(execution_script=...) call"
        )
        entry = self.path(_keyword(call, "execution_script"))
        if entry is None:
            return None
        conda = self.path(_keyword(call, "conda_file"))
        environment = EnvironmentSource("conda", origin, conda_file=conda) if conda else None
        return Deployment("online", origin, entry, self.base, environment, server_provided=True)

    def _parallel_task(self, call: ast.Call) -> Deployment | None:
        """`parallel_run_function(task=RunFunction(code=, entry_script=, environment=))`: a
        parallel job's driver, run like a batch deployment's."""
        script = self.string(_keyword(call, "entry_script"))
        if not script:
            return None
        origin = self.source.origin(call, "RunFunction(...) call (parallel job task)")
        code_root = self.path(_keyword(call, "code")) or self.base
        environment_node = _keyword(call, "environment")
        environment = (
            self._environment_value(environment_node, origin)
            if environment_node is not None
            else None
        )
        entry = self.path(ast.Constant(script), code_root)
        return Deployment("batch", origin, entry, code_root, environment)

    def _v2(
        self, call: ast.Call, kind: DeploymentKind, replaced: ast.Assign | None = None
    ) -> Deployment | None:
        origin = self.source.origin(call, f"{_name(call.func)}(...) call")
        code_root, script = None, None
        configuration = self.call(_keyword(call, "code_configuration"))
        replacement = self.call(replaced.value) if replaced is not None else None
        if replaced is not None and replacement is not None:
            origin = self.source.origin(replaced, f"{origin.how}, code_configuration replaced")
            code = _keyword(replacement, "code")
            if code is None or (isinstance(code, ast.Attribute) and code.attr == "code"):
                code = _keyword(configuration, "code") if configuration is not None else None
            code_root = self.path(code)
            script = self.string(_keyword(replacement, "scoring_script"))
        elif configuration is not None:
            code_root = self.path(_keyword(configuration, "code"))
            script = self.string(_keyword(configuration, "scoring_script"))
        else:
            code_root = self.path(_keyword(call, "code_path"))
            script = self.string(_keyword(call, "scoring_script"))
        environment_node = _keyword(call, "environment")
        environment = (
            self._environment_value(environment_node, origin)
            if environment_node is not None
            else None
        )
        models: tuple[ModelSource, ...] = ()
        model = self.call(_keyword(call, "model"))
        if model is not None and _name(model.func) == "Model":
            model_path = self.path(_keyword(model, "path"))
            if model_path is not None:
                models = (ModelSource(model_path, origin, self.string(_keyword(model, "name"))),)
        if script is None and environment is None and not models:
            return None
        entry = self.path(ast.Constant(script), code_root) if script else None
        return Deployment(
            kind=kind,
            origin=origin,
            entry_script=entry,
            code_root=code_root,
            environment=environment,
            models=models,
            name=self.string(_keyword(call, "name")),
        )


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _named_by_attribute(node: ast.expr) -> ast.Name | None:
    """`env` of `f"azureml:{env.name}:{env.version}"`: the environment made under that name."""
    if not isinstance(node, ast.JoinedStr):
        return None
    for part in node.values:
        if (
            isinstance(part, ast.FormattedValue)
            and isinstance(part.value, ast.Attribute)
            and part.value.attr == "name"
            and isinstance(part.value.value, ast.Name)
        ):
            return part.value.value
    return None


def _receiver(call: ast.Call) -> ast.expr | None:
    """`x` of a method call `x.method(...)`."""
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _argument(call: ast.Call, position: int, name: str | None = None) -> ast.expr | None:
    if name is not None:
        found = _keyword(call, name)
        if found is not None:
            return found
    return call.args[position] if len(call.args) > position else None
