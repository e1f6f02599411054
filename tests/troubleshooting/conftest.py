"""Shared fixtures for the troubleshooting tests.

No live cluster, cloud service or Docker engine is exercised here: failure logs are real
`azmlinfsrv`, docker CLI and pip output recorded on this machine (tests/fixtures/logs/), plus
realistic cloud-only shapes; Kubernetes tests serve recorded API responses on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LOGS = FIXTURES / "logs"
K8S = FIXTURES / "k8s"

# The score.py whose failures the recorded init-raises log shows (see record_azmlinfsrv.py).
INIT_RAISES_SCORE = """\
import json


def init():
    global model
    model = load_model()


def load_model():
    raise RuntimeError("could not load the model: weights are corrupt")


def run(raw_data):
    return json.loads(raw_data)
"""


def read_log(name: str) -> str:
    return (LOGS / name).read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A local project holding the score.py of the recorded logs and a conda file."""
    (tmp_path / "score.py").write_text(INIT_RAISES_SCORE)
    (tmp_path / "conda.yml").write_text(
        "name: scoring\ndependencies:\n  - python=3.11\n  - pip:\n    - "
        "azureml-inference-server-http\n"
    )
    return tmp_path
