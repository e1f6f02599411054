"""No input may crash the analysis: random text, random bytes, deep YAML, long lines, huge files.

Every analyzer is reached through `analyze_document` with each file kind; the result must be a list
of Diagnostics whose ranges an editor can show (start <= end, lines inside the text).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amldebug.analysis import analyze_document
from amldebug.analysis.hover import hover_at
from amldebug.diagnostics import Diagnostic, Severity
from amldebug.project import FileKind, discover_project

# The kind is passed explicitly so that every analyzer sees every input, whatever it looks like.
FILE_KINDS = {
    "score.py": FileKind.ENTRY_SCRIPT,
    "conda.yml": FileKind.CONDA_FILE,
    "Dockerfile.steps": FileKind.STEPS_FILE,
    "deployment.yml": FileKind.DEPLOYMENT,
    "other.py": FileKind.PYTHON,
}
FILE_NAMES = list(FILE_KINDS)

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)

# Fragments of real files, so random combinations reach deep into each analyzer, not only its
# "does not parse" path.
PYTHON_PIECES = [
    "import json\n",
    "import numpy as np\n",
    "from sklearn.linear_model import Ridge\n",
    "import ptvsd\n",
    "import debugpy\n",
    "model = None\n",
    "def init():\n",
    "def run(data):\n",
    "def run(*args, **kwargs):\n",
    "    global model\n",
    "    model = load()\n",
    "    return model.predict(data)\n",
    "    return str(e)\n",
    "    try:\n",
    "    except Exception as e:\n",
    "@rawhttp\n",
    "@input_schema('data', NumpyParameterType(x))\n",
    "    debugpy.listen(('0.0.0.0', 5678))\n",
    "Model.get_model_path('m')\n",
    "joblib.load('model.pkl')\n",
    "AksWebservice.deploy_configuration(autoscale_target_utilization=150, "
    "autoscale_min_replicas=3, "
    "autoscale_max_replicas=1)\n",
    "def init(a):\n",
    "def run(request_headers):\n",
    "    pass\n",
    "\t",
    "(",
    ")",
    ":",
]
YAML_PIECES = [
    "name: env\n",
    "channels:\n  - conda-forge\n",
    "dependencies:\n",
    "  - python=3.6\n",
    "  - pip\n",
    "  - pip:\n",
    "      - azureml-defaults==1.30\n",
    "      - flask==2.0\n",
    "      - numpy>=\n",
    "      - ptvsd\n",
    "  - numpy\n",
    "  - numpy\n",
    "scale_settings:\n",
    "  type: target_utilization\n",
    "  target_utilization_percentage: 250\n",
    "  min_instances: 5\n",
    "  max_instances: 1\n",
    "request_settings:\n  max_concurrent_requests_per_instance: 0\n",
    "code_configuration:\n  scoring_script: score.py\n",
    "- [\n",
    "{",
    "}",
    ": :",
    "&a [*a]\n",
    "!!python/object:os.system\n",
    "  - {pip: 3}\n",
    "\t- x\n",
]
STEPS_PIECES = [
    "FROM ubuntu\n",
    "RUN apt-get install -y vim\n",
    "RUN pip install numpy\n",
    "COPY . /app\n",
    "USER root\n",
    "ENV A=1\n",
    "WORKDIR /var/azureml-app\n",
    "EXPOSE 5001\n",
    "RUN \\\n",
    "  echo hi\n",
    "NOTANINSTRUCTION\n",
    "# comment\n",
    'ENTRYPOINT ["x"]\n',
    "CMD",
    "ARG X\n",
]

random_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
decoded_bytes = st.binary(max_size=400).map(lambda data: data.decode("utf-8", errors="replace"))


def pieces_text(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces) | random_text, max_size=40).map("".join)


def deep_yaml(depth: int, flow: bool) -> str:
    if flow:
        return "dependencies: " + "[" * depth + "x" + "]" * depth + "\n"
    return (
        "dependencies:\n"
        + "".join("  " * level + "- \n" for level in range(1, depth))
        + "  " * depth
        + "- pip\n"
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fuzz-project")
    (root / "score.py").write_text("def init():\n    pass\n\n\ndef run(data):\n    return data\n")
    (root / "conda.yml").write_text(
        "dependencies:\n  - pip\n  - pip:\n      - azureml-inference-server-http\n"
    )
    (root / "Dockerfile.steps").write_text("RUN echo hi\n")
    (root / "deployment.yml").write_text(
        "name: blue\nmodel:\n  path: model\n"
        "code_configuration:\n  code: .\n  scoring_script: score.py\n"
        "environment:\n  conda_file: conda.yml\n  image: base:latest\n"
        "instance_type: Standard_DS3_v2\n"
    )
    return root, discover_project(root)


def assert_sane(diagnostics: list[Diagnostic], text: str) -> None:
    assert isinstance(diagnostics, list)
    line_count = max(len(text.split("\n")), 1)
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert isinstance(diagnostic.severity, Severity)
        assert diagnostic.code and diagnostic.message
        start, end = diagnostic.range.start, diagnostic.range.end
        assert 0 <= start.line < line_count, (diagnostic, line_count)
        assert 0 <= end.line < line_count + 1, (diagnostic, line_count)
        assert start.character >= 0 and end.character >= 0
        assert (start.line, start.character) <= (end.line, end.character), diagnostic
        for fix in diagnostic.fixes:
            for edit in fix.edits:
                assert (edit.range.start.line, edit.range.start.character) <= (
                    edit.range.end.line,
                    edit.range.end.character,
                ), fix


def analyse(project, name: str, text: str) -> list[Diagnostic]:
    root, found = project
    return analyze_document(root / name, text, project=found, kind=FILE_KINDS[name])


@pytest.mark.parametrize("name", FILE_NAMES)
@FUZZ
@given(text=random_text | decoded_bytes)
def test_random_text_and_bytes_never_crash(project, name: str, text: str) -> None:
    assert_sane(analyse(project, name, text), text)


@pytest.mark.parametrize("name", ["score.py", "other.py"])
@FUZZ
@given(text=pieces_text(PYTHON_PIECES))
def test_python_shaped_text_never_crashes(project, name: str, text: str) -> None:
    assert_sane(analyse(project, name, text), text)


@pytest.mark.parametrize("name", ["conda.yml", "deployment.yml"])
@FUZZ
@given(text=pieces_text(YAML_PIECES))
def test_yaml_shaped_text_never_crashes(project, name: str, text: str) -> None:
    assert_sane(analyse(project, name, text), text)


@FUZZ
@given(text=pieces_text(STEPS_PIECES))
def test_steps_shaped_text_never_crashes(project, text: str) -> None:
    assert_sane(analyse(project, "Dockerfile.steps", text), text)


@pytest.mark.parametrize("name", FILE_NAMES)
@pytest.mark.parametrize("flow", [True, False])
def test_deeply_nested_yaml_never_crashes(project, name: str, flow: bool) -> None:
    text = deep_yaml(3000, flow)
    assert_sane(analyse(project, name, text), text)


@pytest.mark.parametrize("name", FILE_NAMES)
def test_deeply_nested_python_never_crashes(project, name: str) -> None:
    text = "def run(data):\n    return " + "(" * 5000 + "data" + ")" * 5000 + "\n"
    assert_sane(analyse(project, name, text), text)


@pytest.mark.parametrize("name", FILE_NAMES)
def test_very_long_line_never_crashes(project, name: str) -> None:
    text = "x = '" + "a" * 500_000 + "'\n- " + "b" * 200_000 + "\n"
    assert_sane(analyse(project, name, text), text)


@pytest.mark.parametrize("name", FILE_NAMES)
def test_huge_file_gets_the_size_notice(project, name: str) -> None:
    text = "dependencies:\n" + "  - numpy\n" * 250_000
    diagnostics = analyse(project, name, text)
    assert [d.code for d in diagnostics] == ["AML001"]
    assert_sane(diagnostics, text)


@pytest.mark.parametrize("name", FILE_NAMES)
def test_binary_file_gets_the_not_text_notice(project, name: str) -> None:
    text = "\x00\x01\x02PK\x03\x04"
    assert [d.code for d in analyse(project, name, text)] == ["AML002"]


@pytest.mark.parametrize("name", ["score.py", "deployment.yml", "other.py"])
@FUZZ
@given(
    text=pieces_text(PYTHON_PIECES) | pieces_text(YAML_PIECES),
    line=st.integers(min_value=-2, max_value=60),
    character=st.integers(min_value=-2, max_value=200),
)
def test_hover_never_crashes(project, name: str, text: str, line: int, character: int) -> None:
    root, found = project
    result = hover_at(root / name, text, line, character, project=found, overlay={})
    assert result is None or (isinstance(result, str) and result.strip())
