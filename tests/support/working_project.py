"""The bundled working example as the Docker tests use it: a copy per test, a scoring request
with its sample, and the line of a text in a file."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"


def copy_project(tmp_path: Path, name: str = "project") -> Path:
    target = tmp_path / name
    shutil.copytree(WORKING, target, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    return target


def score(port: int, body: bytes | None = None, timeout: float = 30) -> Any:
    """POST /score on 127.0.0.1 (the sample request by default), the JSON answer."""
    data = body if body is not None else (WORKING / "sample-request.json").read_bytes()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/score", data=data, headers={"Content-Type": "application/json"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=timeout) as response:
        return json.loads(response.read())


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)
