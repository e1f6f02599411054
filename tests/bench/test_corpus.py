"""bench/corpus.py on a tiny checkout written here (no third-party code)."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "corpus.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load()

ENTRY = """\
import json


def init():
    global model
    model = None


def run(raw_data):
    try:
        return json.loads(raw_data)
    except Exception as e:
        return str(e)
"""

CONDA = """\
name: env
dependencies:
  - python=3.10
  - pip
  - pip:
      - azureml-inference-server-http
"""


def _write(tmp_path: Path, verdict: str) -> tuple[Path, Path, Path]:
    checkout = tmp_path / "checkout"
    folder = checkout / "someone+project" / "deploy"
    folder.mkdir(parents=True)
    (folder / "score.py").write_text(ENTRY)
    (folder / "conda.yml").write_text(CONDA)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "repositories": [
                    {"name": "someone/project", "commit": "0" * 40, "folders": ["deploy"]},
                    {"name": "someone/absent", "commit": "0" * 40, "folders": ["."]},
                ]
            }
        )
    )
    verdicts = tmp_path / "verdicts.csv"
    with verdicts.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["repository", "path", "line", "code", "verdict", "note"])
        writer.writerow(["someone/project", "deploy/score.py", 13, "AML111", verdict, "x"])
    return checkout, manifest, verdicts


@pytest.mark.parametrize(("verdict", "tp", "fp"), [("tp", 1, 0), ("fp", 0, 1), ("fn", 1, 0)])
def test_verdicts_match_on_repository_path_line_and_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], verdict: str, tp: int, fp: int
) -> None:
    checkout, manifest, verdicts = _write(tmp_path, verdict)
    arguments = ["--checkout", str(checkout), "--manifest", str(manifest)]
    status = corpus.main([*arguments, "--verdicts", str(verdicts), "--no-fix", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["warning"]["tp"] == tp and report["warning"]["fp"] == fp
    assert report["missing_folders"] == ["someone/absent/."]
    assert len(report["fn_caught"]) == (1 if verdict == "fn" else 0)
    assert report["crashes"] == []


def test_a_missing_checkout_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert corpus.main(["--checkout", str(tmp_path / "nowhere")]) == 2
    assert "no checkout at" in capsys.readouterr().err


def test_added_names_tell_conda_entries_from_pip_names() -> None:
    after = CONDA.replace("  - pip\n", "") + "      - requests\n"
    before = CONDA.replace("  - pip\n", "")
    assert corpus.added_requirement_names("env.yml", before, after) == [("pip", "requests")]
    assert corpus.added_requirement_names("env.yml", before, CONDA) == [("conda", "pip")]
    added = corpus.added_requirement_names("requirements.txt", "numpy\n", "numpy\nscipy>=1\n")
    assert added == [("pip", "scipy")]
