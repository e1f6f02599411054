"""Writing a project tree in a test and reading what `check` found in it: shared by the discovery
and deployment-rule tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from amldebug.diagnostics import Diagnostic

# An online entry script with init() and run(raw_data) that imports nothing the rules judge.
SCORE = (
    "import json\nimport os\n\n\ndef init():\n    global model\n    model = None\n\n\n"
    "def run(raw_data):\n    return json.loads(raw_data)\n"
)


def write(path: Path, text: str) -> Path:
    """`text` at `path`, its folders made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def codes(diagnostics: Iterable[Diagnostic]) -> set[str]:
    return {d.code for d in diagnostics}
