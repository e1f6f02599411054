"""Hover text: what the inference server expects of `init()` and `run()`, and scale settings.

Pure: text and position in, markdown out. The language server only converts positions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from amldebug.analysis import scale_settings
from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.core import MAX_ANALYZED_CHARS
from amldebug.deployments.describe import describe_lines
from amldebug.project import CONTAINER_APP_ROOT, FileKind, Project, classify_file, discover_project

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(?P<name>init|run)\b")
_DECORATOR = re.compile(r"^\s*@\s*(?P<name>[A-Za-z_][\w.]*)")

INIT_CONTRACT = f"""\
**`init()`**: called once per worker process when the Azure ML inference server starts.

- Called with **no arguments**: any parameter needs a default value (AML104).
- Load the model here and keep it in a **module global** (`global model`); a name only assigned
  inside `init()` is a local, and `run()` then fails with `NameError` on the first request (AML106).
- The model files are under `os.environ["AZUREML_MODEL_DIR"]`: a model folder keeps its own
  name there (`model.path: model` -> `$AZUREML_MODEL_DIR/model/...`), a single file sits directly
  in it. The code runs from `{CONTAINER_APP_ROOT}` (relative paths resolve against it).
- An exception here means the worker never boots: "Worker failed to boot", exit code 3, and
  CrashLoopBackOff on AKS. `amldebug up` shows the traceback at your local line.
"""

RUN_CONTRACT = """\
**`run(input_data)`**: called once per `POST /score` request, after `init()`.

- One input parameter: the request body as text (JSON), or the parsed value with
  `@input_schema`. `*args`, `**kwargs` and positional-only parameters are rejected (AML103).
- A parameter named `request_headers` receives the HTTP request headers as a dict.
- Return something JSON-serialisable: `.tolist()` a numpy array (AML114). An exception becomes
  HTTP 500 for the caller and a traceback in the container log.
- `@rawhttp` (`azureml.contrib.services.aml_request`): `run` receives the Flask request object
  (`request.get_data()`, `request.method`, `request.headers`) and may return an `AMLResponse` to
  set the status code and headers.
- `@input_schema(param_name, type)` / `@output_schema(type)` (`inference_schema`): typed parsing
  and the Swagger document; never together with `@rawhttp` (AML105).
"""


# A document too large to analyse (AML001) gets no hover either.
MAX_HOVER_CHARS = MAX_ANALYZED_CHARS


def hover_at(
    path: Path | str,
    text: str,
    line: int,
    character: int,
    project: Project | None = None,
    overlay: Mapping[Path, str] | None = None,
) -> str | None:
    """Markdown for a hover at (line, character), 0-based code points; None when there is none."""
    if len(text) > MAX_HOVER_CHARS:
        return None  # not analysed either (the language server's size limit): nothing to say
    path = Path(path)
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return None
    project = project if project is not None else discover_project(path)

    word, end = _word_at(lines[line], character)
    if line == 0 and classify_file(path, text, project) is FileKind.ENTRY_SCRIPT:
        return deployments_hover(path, text, project)
    if word in ("init", "run") and classify_file(path, text, project) is FileKind.ENTRY_SCRIPT:
        is_definition = bool(
            (match := _DEF.match(lines[line]))
            and match.start("name") <= character <= match.end("name")
        )
        is_call = lines[line][end:].lstrip().startswith("(")
        if is_definition or is_call:
            return _contract(word, lines, line if is_definition else _definition_line(lines, word))

    context = AnalysisContext(path=path, project=project, overlay=overlay or {})
    return scale_settings.scale_settings_hover(text, line, character, context)


def _word_at(line_text: str, character: int) -> tuple[str | None, int]:
    for match in _IDENTIFIER.finditer(line_text):
        if match.start() <= character <= match.end():
            return match.group(), match.end()
    return None, 0


def _definition_line(lines: list[str], name: str) -> int | None:
    for index, line_text in enumerate(lines):
        match = _DEF.match(line_text)
        if match and match.group("name") == name and not line_text[0].isspace():
            return index
    return None


def _contract(name: str, lines: list[str], def_line: int | None) -> str:
    contract = INIT_CONTRACT if name == "init" else RUN_CONTRACT
    if name != "run" or def_line is None:
        return contract
    decorators = _decorators_above(lines, def_line)
    notes = []
    if "rawhttp" in decorators:
        notes.append(
            "`run` here is decorated with `@rawhttp`: its parameter is the request object."
        )
    if "input_schema" in decorators:
        notes.append("`run` here uses `@input_schema`: its parameter arrives already parsed.")
    if "request_headers" in lines[def_line]:
        notes.append("`run` here takes `request_headers`: the request's headers as a dict.")
    return contract + ("\n" + "\n".join(f"> {note}" for note in notes) if notes else "")


def _decorators_above(lines: list[str], def_line: int) -> set[str]:
    names = set()
    index = def_line - 1
    while index >= 0:
        match = _DECORATOR.match(lines[index])
        if match is not None:
            names.add(match.group("name").rsplit(".", 1)[-1])
        elif not lines[index][:1].isspace() and not lines[index].lstrip().startswith(")"):
            # Not a decorator nor the continuation of a decorator's arguments.
            break
        index -= 1
    return names


def deployments_hover(path: Path, text: str, project: Project) -> str:
    """On an entry script's first line: the deployments that run it, with what each builds and
    where discovery read it (what `amldebug project` prints for the whole folder)."""
    deployments = project.deployments_of_entry_script(path, text)
    root = project.index.root if project.index is not None else project.root
    if not deployments:
        conda = project.relative(project.conda_file) if project.conda_file else "none"
        return (
            "**Azure ML deployment** (paired by your settings)\n\n"
            f"- entry script: `{project.relative(path)}`\n- conda file: `{conda}`"
        )
    sections = []
    for deployment in deployments:
        first, *rest = describe_lines(deployment, root)
        sections.append(f"**Azure ML {first}**\n\n" + "\n".join(f"- {line}" for line in rest))
    return "\n\n".join(sections) + "\n\n`amldebug project` lists every deployment of the folder."
