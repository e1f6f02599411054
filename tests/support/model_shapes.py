"""The four model shapes Azure ML deploys, each with a score.py written the way Microsoft's samples
write it (our own code): built and run against the real engine (tests/containers/
test_fidelity_docker.py) and judged by AML113 (tests/analysis/test_aml113_model_shapes.py), so
the rule and the container agree on one layout.

| shape | project | AZUREML_MODEL_DIR | the score.py opens |
| v2, `model.path` a folder | model/weights.json | azureml-models/model/1 | model/weights.json |
| v2, `model.path` a file | models/weights.json | azureml-models/weights/1 | weights.json |
| v1, one model (a folder) | outputs/clf/weights.json | azureml-models/clf/1 | clf/weights.json |
| v1, several models | outputs/my_*_model.json | azureml-models | <name>/1/<name>.json |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# The reply every score.py below gives: what it loaded, and where AZUREML_MODEL_DIR pointed.
REPLY = """
def run(raw_data):
    return {"loaded": loaded, "model_dir": os.getenv("AZUREML_MODEL_DIR")}
"""

# v2 deployment, model.path a folder: Microsoft's v2 sample joins "model/<file>".
V2_FOLDER_SCORE = (
    """import json
import os


def init():
    global loaded
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/weights.json")
    with open(model_path) as handle:
        loaded = json.load(handle)["name"]
"""
    + REPLY
)

# v2 deployment, model.path a single file: the file sits in AZUREML_MODEL_DIR itself.
V2_FILE_SCORE = (
    """import json
import os


def init():
    global loaded
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "weights.json")
    with open(model_path) as handle:
        loaded = json.load(handle)["name"]
"""
    + REPLY
)

# v1 Model.deploy with one model registered from a folder: <name>/<version>/<registered path>.
V1_ONE_SCORE = (
    """import json
import os


def init():
    global loaded
    # AZUREML_MODEL_DIR is ./azureml-models/$MODEL_NAME/$VERSION for one model.
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "clf", "weights.json")
    with open(model_path) as handle:
        loaded = json.load(handle)["name"]
"""
    + REPLY
)

# v1 Model.deploy with several models: AZUREML_MODEL_DIR is ./azureml-models, one folder each.
V1_SEVERAL_SCORE = (
    """import json
import os


def init():
    global loaded
    root = os.getenv("AZUREML_MODEL_DIR")
    loaded = []
    for name in ("my_first_model", "my_second_model"):
        with open(os.path.join(root, name, "1", name + ".json")) as handle:
            loaded.append(json.load(handle)["name"])
"""
    + REPLY
)


def weights(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": name}))


def v2_deployment(root: Path, model_path: str) -> None:
    (root / "deployment.yml").write_text(
        "name: blue\nendpoint_name: fid\n"
        f"model:\n  path: {model_path}\n"
        "code_configuration:\n  code: .\n  scoring_script: score.py\n"
        "instance_type: Standard_DS3_v2\n"
    )


@dataclass(frozen=True)
class ModelShape:
    name: str
    score: str
    # v1 shapes have no deployment YAML: the models are given as `--model` paths.
    model_paths: tuple[str, ...]
    model_dir: str  # AZUREML_MODEL_DIR in the debug image
    loaded: object  # what the score.py's run() answers as "loaded"

    def write(self, root: Path, label: str) -> None:
        """The project: score.py, the model files and (v2) the deployment YAML."""
        (root / "score.py").write_text(self.score)
        if self.name == "v2-folder":
            weights(root / "model" / "weights.json", label)
            v2_deployment(root, "model")
        elif self.name == "v2-file":
            weights(root / "models" / "weights.json", label)
            v2_deployment(root, "models/weights.json")
        elif self.name == "v1-one":
            weights(root / "outputs" / "clf" / "weights.json", label)
        else:
            weights(root / "outputs" / "my_first_model.json", "first")
            weights(root / "outputs" / "my_second_model.json", "second")


V2_FOLDER = ModelShape(
    "v2-folder", V2_FOLDER_SCORE, (), "/var/azureml-app/azureml-models/model/1", "v2-folder"
)
V2_FILE = ModelShape(
    "v2-file", V2_FILE_SCORE, (), "/var/azureml-app/azureml-models/weights/1", "v2-file"
)
V1_ONE = ModelShape(
    "v1-one", V1_ONE_SCORE, ("outputs/clf",), "/var/azureml-app/azureml-models/clf/1", "v1-one"
)
V1_SEVERAL = ModelShape(
    "v1-several",
    V1_SEVERAL_SCORE,
    ("outputs/my_first_model.json", "outputs/my_second_model.json"),
    "/var/azureml-app/azureml-models",
    ["first", "second"],
)
SHAPES = (V2_FOLDER, V2_FILE, V1_ONE, V1_SEVERAL)
