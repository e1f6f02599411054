"""A UTF-8 BOM in score.py is no AML107 and a lone-CR conda file is no AML201 (issue 9, item 11);
`--fix` keeps the BOM it found."""

from __future__ import annotations

from pathlib import Path

from amldebug.cli.main import main

SCORE = (
    "import json\n\n\ndef init():\n    pass\n\n\n"
    "def run(raw_data):\n    return json.loads(raw_data)\n"
)
CONDA = (
    "name: x\rchannels:\r  - conda-forge\rdependencies:\r  - python=3.11\r  - pip\r  - pip:\r"
    "    - azureml-inference-server-http==1.5.1\r"
)


def test_a_bom_in_score_py_is_not_a_syntax_error(tmp_path: Path, capsys):
    (tmp_path / "score.py").write_bytes(b"\xef\xbb\xbf" + SCORE.encode())
    main(["check", str(tmp_path)])
    out = capsys.readouterr().out
    assert "AML107" not in out


def test_a_lone_cr_conda_file_is_valid_yaml(tmp_path: Path, capsys):
    (tmp_path / "score.py").write_text(SCORE)
    (tmp_path / "conda.yml").write_bytes(CONDA.encode())
    main(["check", str(tmp_path)])
    out = capsys.readouterr().out
    assert "AML201" not in out


def test_fix_keeps_the_bom(tmp_path: Path, capsys):
    (tmp_path / "score.py").write_bytes(b"\xef\xbb\xbf" + SCORE.encode())
    (tmp_path / "conda.yml").write_text(
        "name: x\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - numpy==1.26.4\n"
    )
    main(["check", str(tmp_path), "--fix"])
    capsys.readouterr()
    assert (tmp_path / "score.py").read_bytes().startswith(b"\xef\xbb\xbf")
