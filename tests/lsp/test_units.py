"""The language server's pure pieces: hover text, settings parsing, column conversion."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from amldebug.analysis.hover import hover_at
from amldebug.diagnostics import Diagnostic, Fix, Position, Range, Severity, TextEdit
from amldebug.lsp.convert import ColumnCodec, fix_to_code_action, to_lsp_diagnostic
from amldebug.lsp.settings import parse_settings
from amldebug.project import discover_project

RAWHTTP_SCORE = """\
from azureml.contrib.services.aml_request import AMLRequest, rawhttp


def init():
    pass


@rawhttp
def run(request):
    return request.get_data()


if __name__ == "__main__":
    init()
    print(run(None))
"""


def hover(
    tmp_path: Path, text: str, line: int, character: int, name: str = "score.py"
) -> str | None:
    path = tmp_path / name
    path.write_text(text)
    return hover_at(path, text, line, character, project=discover_project(path), overlay={})


def test_hover_on_rawhttp_run_says_it_receives_the_request(tmp_path: Path):
    text = hover(tmp_path, RAWHTTP_SCORE, 8, 5)
    assert text is not None
    assert "POST /score" in text
    assert "decorated with `@rawhttp`: its parameter is the request object" in text


def test_hover_on_a_call_to_init_explains_init(tmp_path: Path):
    line = RAWHTTP_SCORE.split("\n").index("    init()")
    text = hover(tmp_path, RAWHTTP_SCORE, line, 5)
    assert text is not None and "called once per worker" in text


def test_no_hover_on_other_words_or_outside_the_text(tmp_path: Path):
    assert hover(tmp_path, RAWHTTP_SCORE, 4, 6) is None  # `pass`
    assert hover(tmp_path, RAWHTTP_SCORE, 500, 0) is None


def test_the_first_line_of_an_entry_script_says_how_it_is_deployed(tmp_path: Path):
    (tmp_path / "conda.yml").write_text("dependencies:\n  - python=3.10\n")
    text = hover(tmp_path, RAWHTTP_SCORE, 0, 2)
    assert text is not None
    assert "online deployment of score.py" in text
    assert "conda file conda.yml" in text and "convention: conda.yml beside score.py" in text


def test_no_contract_hover_in_a_python_file_that_is_not_an_entry_script(tmp_path: Path):
    text = "def run(command):\n    return command\n"
    assert hover(tmp_path, text, 0, 5, name="tasks.py") is None


def test_settings_accept_the_shapes_clients_send():
    nested = parse_settings({"amldebug": {"entryScript": "src/score.py", "select": ["aml1"]}})
    flat = parse_settings({"entryScript": "src/score.py", "select": "AML1", "port": 8000})
    dotted = parse_settings({"amldebug.entryScript": "src/score.py", "amldebug.select": ["AML1"]})
    assert nested == flat == dotted
    assert nested.entry_script == "src/score.py"
    assert nested.select == ("AML1",)


def test_settings_ignore_wrong_types_and_empty_strings():
    settings = parse_settings({"entryScript": "", "condaFile": 3, "ignore": None})
    assert settings.entry_script is None and settings.conda_file is None and settings.ignore == ()
    assert parse_settings(None) == parse_settings([1, 2])


def test_columns_are_converted_to_utf16_units_on_non_ascii_lines():
    lines = ['label = "😋" ; value', "plain"]
    diagnostic = Diagnostic("AML999", Severity.WARNING, "m", Range.of(0, 14, 0, 19))
    converted = to_lsp_diagnostic(diagnostic, lines, ColumnCodec(types.PositionEncodingKind.Utf16))
    # The emoji is one code point but two UTF-16 units, so every later column moves by one.
    assert converted.range.start == types.Position(line=0, character=15)
    assert converted.range.end == types.Position(line=0, character=20)
    assert ColumnCodec("utf-16").from_client(lines[0], 15) == 14


def test_positions_past_the_end_are_clamped_to_the_last_line():
    diagnostic = Diagnostic("AML201", Severity.ERROR, "m", Range.of(3, 0, 3, 1))
    converted = to_lsp_diagnostic(diagnostic, ["{"], ColumnCodec(None))
    assert converted.range.start == types.Position(line=0, character=1)


def test_fix_editing_another_file_targets_that_files_uri(tmp_path: Path):
    conda = tmp_path / "conda.yml"
    fix = Fix(
        "Add scikit-learn to the conda file",
        (TextEdit(Range(Position(4, 0), Position(4, 0)), "      - scikit-learn\n", path=conda),),
        preferred=True,
    )
    action = fix_to_code_action(
        fix,
        document_uri=(tmp_path / "score.py").as_uri(),
        document_version=3,
        lines_of=lambda uri: [],
        versions_of=lambda uri: None,
        codec=ColumnCodec(None),
    )
    assert action.kind == types.CodeActionKind.QuickFix and action.is_preferred
    assert action.edit is not None and action.edit.document_changes
    change = action.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == conda.as_uri()
    assert change.text_document.version is None  # not open: no version to check against
    assert change.edits[0].new_text == "      - scikit-learn\n"
