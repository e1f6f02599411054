"""What a deployment is made of, as discovery finds it: plain data, each part with its source.

A deployment pairs an entry script with the environment it is really built with. Discovery reads
it from a v2 deployment YAML, a v1 `inferenceconfig.json`, SDK calls with literal arguments in
`.py` files and notebooks, or, failing those, from the file-name conventions beside the script.
Every part keeps where it came from, so `amldebug project` and the editor can say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DeploymentKind = Literal["online", "batch"]
EnvironmentKind = Literal["conda", "pip", "image", "registry", "unknown"]


@dataclass(frozen=True)
class Origin:
    """Where discovery read something: a file, a 0-based line in it, and how it was read."""

    file: Path
    line: int
    how: str

    def describe(self, root: Path | None = None) -> str:
        shown = shown_path(self.file, root)
        return f"{shown}:{self.line + 1} ({self.how})"


@dataclass(frozen=True)
class EnvironmentSource:
    kind: EnvironmentKind
    origin: Origin
    conda_file: Path | None = None
    requirements_file: Path | None = None
    image: str | None = None
    # A registered environment (`azureml:name:version`): its content is unknown here.
    reference: str | None = None


@dataclass(frozen=True)
class ModelSource:
    path: Path
    origin: Origin
    name: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class MissingReference:
    """A file the deployment names that does not exist (AML403), with the closest real name."""

    field_name: str
    path: Path
    origin: Origin
    suggestion: Path | None = None


@dataclass(frozen=True)
class Deployment:
    kind: DeploymentKind
    origin: Origin
    entry_script: Path | None = None
    # The folder uploaded as code: its modules are importable inside the container.
    code_root: Path | None = None
    environment: EnvironmentSource | None = None
    models: tuple[ModelSource, ...] = ()
    # A registered model (`azureml:name:version`): no local copy is known.
    model_reference: str | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    missing: tuple[MissingReference, ...] = ()
    # Azure ML adds the inference server to the image itself: a v1 `ContainerImage` image (the
    # 2018-2019 API) or a model package (`az ml online-deployment create --package-model`).
    server_provided: bool = False

    @property
    def conda_file(self) -> Path | None:
        return self.environment.conda_file if self.environment else None

    @property
    def is_convention(self) -> bool:
        return self.origin.how.startswith("convention")


def shown_path(path: Path, root: Path | None) -> str:
    """`path` relative to `root` when inside it (`.` for the root itself), else as it is."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix() or "."
        except ValueError:
            pass
    return str(path)
