"""Where Azure ML puts a deployment's models, and what AZUREML_MODEL_DIR is. Pure: no I/O.

What Azure ML does (Microsoft's docs and samples, checked 2026-12):
- Every model lands in `/var/azureml-app/azureml-models/<name>/<version>/`, and under that folder
  the registered path keeps its own last component: a folder `model/` registered (v2 `model.path:
  model`, or v1 `Model.register(model_path="model")`) gives `<name>/<version>/model/...`; a file
  `model.pkl` gives `<name>/<version>/model.pkl`. Microsoft's v2 sample opens
  `os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/sklearn_regression_model.pkl")`.
- One model (every v2 deployment, and v1 `Model.deploy` with one model): AZUREML_MODEL_DIR is that
  model's `<name>/<version>` folder.
- Several models (v1 `Model.deploy(..., models=[a, b])`): AZUREML_MODEL_DIR is `azureml-models`
  itself, with a `<name>/<version>/` folder per model.

`containers/model_files.py` reads the local model paths into `ModelSource`s (the I/O half).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Where Azure ML's inference images hold the models.
AZUREML_MODELS_ROOT = "/var/azureml-app/azureml-models"
# Where the debug image keeps them, so a project bind-mounted over /var/azureml-app cannot hide
# them; AZUREML_MODELS_ROOT is a symlink to it in the image.
MODELS_STORE = "/var/azureml-models"
DEFAULT_VERSION = "1"

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ModelSource:
    """One local model: a file or a folder, with the name and version it is registered under."""

    local_path: str  # as given (absolute or relative); only its last component matters here
    is_folder: bool
    # Files under the folder, relative to it (posix); empty for a file model.
    files: tuple[str, ...] = ()
    name: str | None = None  # None: derived from the path, as `amldebug` registers nothing
    version: str | None = None
    # False when the folder was too large to list entirely (files holds the first ones).
    listing_complete: bool = True

    @property
    def registered_path(self) -> str:
        """The last component of the path: what Azure ML keeps under <name>/<version>/."""
        return self.local_path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or "model"


@dataclass(frozen=True)
class PlacedModel:
    source: ModelSource
    name: str
    version: str
    # Relative to the models root: `<name>/<version>/<registered path>`.
    relative_target: str

    @property
    def relative_folder(self) -> str:
        """`<name>/<version>`: the model's own folder under the models root."""
        return f"{self.name}/{self.version}"

    def target(self, root: str = AZUREML_MODELS_ROOT) -> str:
        return f"{root}/{self.relative_target}"


@dataclass(frozen=True)
class ModelLayout:
    placed: tuple[PlacedModel, ...]
    # AZUREML_MODEL_DIR relative to the models root: `<name>/<version>` for one model, "" for
    # several (the root itself); None when there is no model (the variable is not set).
    relative_model_dir: str | None

    def model_dir(self, root: str = AZUREML_MODELS_ROOT) -> str | None:
        if self.relative_model_dir is None:
            return None
        return f"{root}/{self.relative_model_dir}" if self.relative_model_dir else root

    def contents(self) -> frozenset[str]:
        """Every file and folder under AZUREML_MODEL_DIR, relative to it (posix)."""
        return model_dir_contents_of_layout(self)

    @property
    def listing_complete(self) -> bool:
        return all(p.source.listing_complete for p in self.placed)


def safe_model_name(text: str) -> str:
    """A model name Azure ML accepts (letters, digits, `-`, `_`, `.`)."""
    return _UNSAFE_NAME.sub("-", text).strip("-.") or "model"


def default_model_name(source: ModelSource) -> str:
    """The name a model gets when the deployment does not say: the path's stem (`model.pkl` ->
    `model`, folder `clf` -> `clf`); in the cloud an inline model gets a generated name, which
    a script reaching the model through AZUREML_MODEL_DIR never sees."""
    registered = source.registered_path
    stem = registered if source.is_folder else registered.rsplit(".", 1)[0] or registered
    return safe_model_name(stem)


def plan_model_layout(sources: Sequence[ModelSource]) -> ModelLayout:
    """Where each model lands under the models root, and AZUREML_MODEL_DIR."""
    placed: list[PlacedModel] = []
    used: set[tuple[str, str]] = set()
    for source in sources:
        name = safe_model_name(source.name) if source.name else default_model_name(source)
        version = safe_model_name(source.version) if source.version else DEFAULT_VERSION
        base = name
        suffix = 1
        while (name, version) in used:  # two local models with one derived name
            suffix += 1
            name = f"{base}-{suffix}"
        used.add((name, version))
        placed.append(
            PlacedModel(source, name, version, f"{name}/{version}/{source.registered_path}")
        )
    if not placed:
        return ModelLayout((), None)
    relative_model_dir = placed[0].relative_folder if len(placed) == 1 else ""
    return ModelLayout(tuple(placed), relative_model_dir)


def model_dir_contents(models: Sequence[ModelSource]) -> frozenset[str]:
    """Every file and folder under AZUREML_MODEL_DIR, relative to it, for these models: what a
    path joined to AZUREML_MODEL_DIR can name (e.g. {"model", "model/model.json"} for a v2
    deployment whose `model.path` is the folder `model`)."""
    return model_dir_contents_of_layout(plan_model_layout(models))


def model_dir_contents_of_layout(layout: ModelLayout) -> frozenset[str]:
    if layout.relative_model_dir is None:
        return frozenset()
    prefix = f"{layout.relative_model_dir}/" if layout.relative_model_dir else ""
    found: set[str] = set()
    for model in layout.placed:
        relative = model.relative_target[len(prefix) :]
        entries = [relative]
        if model.source.is_folder:
            entries += [f"{relative}/{file}" for file in model.source.files]
        for entry in entries:
            found.update(_with_parents(entry))
    return frozenset(found)


def _with_parents(path: str) -> Iterable[str]:
    parts = path.split("/")
    return ("/".join(parts[:end]) for end in range(1, len(parts) + 1))


def model_dir_beside_mount(label_value: str) -> str:
    """AZUREML_MODEL_DIR when the project is mounted over /var/azureml-app (which hides the
    symlink): the same folder, reached through the store it points to."""
    return f"{MODELS_STORE}/{label_value}" if label_value else MODELS_STORE
