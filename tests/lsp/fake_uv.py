"""A stand-in for `uv pip compile` in the language-server tests ($AMLDEBUG_UV): answers from
recorded output, by what the requirements on stdin ask for."""

import sys
from pathlib import Path

RECORDED = Path(__file__).resolve().parents[1] / "analysis" / "uv_output"

requirements = sys.stdin.read()
if "scikit-learn==1.6.1" in requirements:
    sys.stderr.write((RECORDED / "python_too_old.txt").read_text())
    sys.exit(1)
sys.stdout.write("azureml-inference-server-http==1.5.1\nflask==3.1.0\n")
