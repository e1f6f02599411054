"""Cross-file re-checks, hovers, settings and quick fixes, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import CONDA, WORKING_SCORE, codes, open_document, replace_text, wait_for_publish
from lsprotocol import types
from pytest_lsp import LanguageClient

from amldebug.analysis.rule_catalogue import get_rule
from amldebug.diagnostics import Position, Range, TextEdit, apply_edits

NO_INIT_SCORE = """\
import json


def run(raw_data):
    return {"echo": json.loads(raw_data)}
"""


SKLEARN_SCORE = WORKING_SCORE.replace("import os\n", "import os\n\nimport sklearn\n")


async def test_editing_the_conda_file_rechecks_the_open_entry_script(
    client: LanguageClient, project: Path
):
    score_uri = open_document(client, project / "score.py", SKLEARN_SCORE, version=4)
    conda_uri = open_document(client, project / "conda.yml", CONDA, version=1, language="yaml")
    before = await wait_for_publish(client, score_uri, where=lambda p: "AML116" in codes(p))
    assert "scikit-learn" in next(d.message for d in before.diagnostics if d.code == "AML116")
    await wait_for_publish(client, conda_uri)

    after = len(client.published)
    edited = CONDA + "      - scikit-learn==1.5.0\n"  # unsaved: the file on disk lacks it
    replace_text(client, conda_uri, CONDA, edited, version=2)

    conda_published = await wait_for_publish(client, conda_uri, after=after)
    assert conda_published.version == 2
    # A re-check caused by opening conda.yml may still arrive first; the one caused by the edit
    # follows, and its rules saw the unsaved conda text.
    score_published = await wait_for_publish(
        client, score_uri, after=after, where=lambda p: "AML116" not in codes(p)
    )
    assert score_published.version == 4  # score.py itself did not change


async def test_missing_distribution_fix_edits_the_conda_file(client: LanguageClient, project: Path):
    score_uri = open_document(client, project / "score.py", SKLEARN_SCORE, version=1)
    conda_uri = open_document(client, project / "conda.yml", CONDA, version=6, language="yaml")
    published = await wait_for_publish(client, score_uri, where=lambda p: "AML116" in codes(p))
    aml116 = next(d for d in published.diagnostics if d.code == "AML116")

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=score_uri),
            range=aml116.range,
            context=types.CodeActionContext(diagnostics=[aml116]),
        )
    )

    fix = next(a for a in actions or [] if isinstance(a, types.CodeAction) and a.diagnostics)
    assert fix.edit is not None and fix.edit.document_changes
    change = fix.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == conda_uri
    assert change.text_document.version == 6  # the open conda file's version
    assert "scikit-learn" in _apply_workspace_edit(fix.edit, conda_uri, CONDA)


async def test_editing_the_entry_script_rechecks_the_open_conda_file(
    client: LanguageClient, project: Path
):
    score_uri = open_document(client, project / "score.py", WORKING_SCORE, version=1)
    conda_uri = open_document(client, project / "conda.yml", CONDA, version=9, language="yaml")
    await wait_for_publish(client, conda_uri)

    after = len(client.published)
    replace_text(client, score_uri, WORKING_SCORE, "import sklearn\n" + WORKING_SCORE, version=2)

    assert (await wait_for_publish(client, conda_uri, after=after)).version == 9


async def test_hover_on_def_run_explains_the_contract(client: LanguageClient, project: Path):
    uri = open_document(client, project / "score.py", WORKING_SCORE)
    line = WORKING_SCORE.split("\n").index("def run(raw_data):")

    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=5),
        )
    )

    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "POST /score" in hover.contents.value
    assert "JSON-serialisable" in hover.contents.value


async def test_hover_on_def_init_mentions_the_model_directory(
    client: LanguageClient, project: Path
):
    uri = open_document(client, project / "score.py", WORKING_SCORE)
    line = WORKING_SCORE.split("\n").index("def init():")

    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=6),
        )
    )

    assert hover is not None and "AZUREML_MODEL_DIR" in hover.contents.value  # type: ignore[union-attr]
    assert "no arguments" in hover.contents.value  # type: ignore[union-attr]


async def test_settings_change_what_is_published(client: LanguageClient, project: Path):
    uri = open_document(client, project / "score.py", "import json\x00\n", version=5)
    assert codes(await wait_for_publish(client, uri)) == ["AML002"]

    after = len(client.published)
    client.set_configuration({"ignore": ["AML002"]}, section="amldebug")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    ignored = await wait_for_publish(client, uri, after=after)
    assert ignored.version == 5
    assert codes(ignored) == []

    after = len(client.published)
    client.set_configuration({"select": ["AML0"], "ignore": []}, section="amldebug")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    assert codes(await wait_for_publish(client, uri, after=after)) == ["AML002"]

    after = len(client.published)
    client.set_configuration({"select": ["AML1"]}, section="amldebug")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    assert "AML002" not in codes(await wait_for_publish(client, uri, after=after))


async def test_initialization_options_settings_apply_from_the_first_publish(
    client_ignoring_aml002: LanguageClient, project: Path
):
    uri = open_document(client_ignoring_aml002, project / "score.py", "import json\x00\n")

    published = await wait_for_publish(client_ignoring_aml002, uri)

    assert codes(published) == []


async def test_server_registers_for_settings_changes(client: LanguageClient, project: Path):
    uri = open_document(client, project / "score.py", "\x00")
    await wait_for_publish(client, uri)  # initialized has run by now
    methods = [registration.method for registration in client.registrations]  # type: ignore[attr-defined]
    assert types.WORKSPACE_DID_CHANGE_CONFIGURATION in methods


def _apply_workspace_edit(edit: types.WorkspaceEdit, uri: str, text: str) -> str:
    lsp_edits: list[types.TextEdit] = []
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        if change.text_document.uri == uri:
            lsp_edits.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    for changed_uri, edits in (edit.changes or {}).items():
        if changed_uri == uri:
            lsp_edits.extend(edits)
    return apply_edits(
        text,
        [
            TextEdit(
                Range(
                    Position(e.range.start.line, e.range.start.character),
                    Position(e.range.end.line, e.range.end.character),
                ),
                e.new_text,
            )
            for e in lsp_edits
        ],
    )


@pytest.mark.skipif(
    get_rule("AML101") is None, reason="AML101 and its stub init() fix not in the catalogue yet"
)
async def test_quick_fix_adds_the_missing_init(client: LanguageClient, project: Path):
    uri = open_document(client, project / "score.py", NO_INIT_SCORE, version=1)
    published = await wait_for_publish(client, uri, where=lambda p: "AML101" in codes(p))
    aml101 = next(d for d in published.diagnostics if d.code == "AML101")

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=aml101.range,
            context=types.CodeActionContext(
                diagnostics=[aml101], only=[types.CodeActionKind.QuickFix]
            ),
        )
    )

    assert actions
    fix = next(
        a
        for a in actions
        if isinstance(a, types.CodeAction) and a.diagnostics and a.diagnostics[0].code == "AML101"
    )
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.edit is not None
    fixed = _apply_workspace_edit(fix.edit, uri, NO_INIT_SCORE)
    assert "def init(" in fixed

    after = len(client.published)
    replace_text(client, uri, NO_INIT_SCORE, fixed, version=2)
    republished = await wait_for_publish(client, uri, after=after, where=lambda p: p.version == 2)
    assert "AML101" not in codes(republished)


CONDA_WITHOUT_PIP = """\
name: scoring
dependencies:
  - python=3.11
  - pip:
      - azureml-inference-server-http==1.5.1
"""


async def test_quick_fix_adds_pip_to_the_conda_dependencies(client: LanguageClient, project: Path):
    uri = open_document(
        client, project / "conda.yml", CONDA_WITHOUT_PIP, version=1, language="yaml"
    )
    published = await wait_for_publish(client, uri, where=lambda p: "AML203" in codes(p))
    aml203 = next(d for d in published.diagnostics if d.code == "AML203")
    assert aml203.range.start.line == 3

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=aml203.range.start, end=aml203.range.start),
            context=types.CodeActionContext(diagnostics=[aml203]),
        )
    )

    fix = next(
        a
        for a in actions or []
        if isinstance(a, types.CodeAction) and a.diagnostics and a.diagnostics[0].code == "AML203"
    )
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.is_preferred
    assert fix.edit is not None and fix.edit.document_changes
    assert fix.edit.document_changes[0].text_document.version == 1  # type: ignore[union-attr]
    fixed = _apply_workspace_edit(fix.edit, uri, CONDA_WITHOUT_PIP)
    assert "  - pip\n  - pip:\n" in fixed

    after = len(client.published)
    replace_text(client, uri, CONDA_WITHOUT_PIP, fixed, version=2)
    republished = await wait_for_publish(client, uri, after=after, where=lambda p: p.version == 2)
    assert "AML203" not in codes(republished)


async def test_hover_on_scale_settings_shows_the_arithmetic(client: LanguageClient, project: Path):
    text = (
        "name: blue\nscale_settings:\n  type: target_utilization\n  min_instances: 1\n"
        "  max_instances: 3\n  target_utilization_percentage: 70\n"
    )
    uri = open_document(client, project / "deployment.yml", text, language="yaml")

    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=5, character=5),
        )
    )

    assert hover is not None
    assert "30 %" in hover.contents.value  # type: ignore[union-attr]


async def test_engine_commands_are_advertised_and_answer(client: LanguageClient, project: Path):
    # Sent straight after initialize: the command modules load on demand if not loaded yet.
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="amldebug.replicas",
            arguments=[
                {"targetRps": 100, "requestTime": 0.2, "maxConcurrent": 1, "targetUtilization": 70}
            ],
        )
    )

    assert result["ok"] is True
    assert result["replicas"] == 29  # ceil(100 x 0.2 / 0.7 / 1)
    capabilities = client.initialize_result.capabilities  # type: ignore[attr-defined]
    provider = capabilities.execute_command_provider
    assert provider is not None
    assert {"amldebug.up", "amldebug.explain", "amldebug.replicas"} <= set(provider.commands)


async def test_debug_only_refactor_is_offered_on_def_run(client: LanguageClient, project: Path):
    uri = open_document(client, project / "score.py", WORKING_SCORE)
    await wait_for_publish(client, uri)
    line = WORKING_SCORE.split("\n").index("def run(raw_data):")

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=line, character=4),
                end=types.Position(line=line, character=4),
            ),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.Refactor]),
        )
    )

    refactor = next(a for a in actions or [] if isinstance(a, types.CodeAction))
    assert refactor.kind == types.CodeActionKind.RefactorRewrite
    assert "debug only" in refactor.title
    assert refactor.edit is not None
    wrapped = _apply_workspace_edit(refactor.edit, uri, WORKING_SCORE)
    assert "    try:\n" in wrapped and "except Exception" in wrapped


async def test_conda_file_changed_on_disk_rechecks_the_open_entry_script(
    client: LanguageClient, project: Path
):
    score_uri = open_document(client, project / "score.py", SKLEARN_SCORE)
    await wait_for_publish(client, score_uri, where=lambda p: "AML116" in codes(p))
    methods = [r.method for r in client.registrations]  # type: ignore[attr-defined]
    assert types.WORKSPACE_DID_CHANGE_WATCHED_FILES in methods

    (project / "conda.yml").write_text(CONDA + "      - scikit-learn==1.5.0\n")  # e.g. git pull
    after = len(client.published)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=(project / "conda.yml").as_uri(), type=types.FileChangeType.Changed
                )
            ]
        )
    )

    republished = await wait_for_publish(client, score_uri, after=after)
    assert "AML116" not in codes(republished)


async def test_the_workspace_deployments_pair_a_script_and_say_so_on_its_first_line(
    client: LanguageClient, project: Path
):
    """A deployment YAML in deploy/ names src/score.py and env/conda.yml; a conda file beside a
    notebook elsewhere in the workspace is nobody's environment and gets no deployment rules."""
    (project / "src").mkdir()
    (project / "env").mkdir()
    (project / "notebooks").mkdir()
    (project / "deploy").mkdir()
    (project / "src" / "score.py").write_text(SKLEARN_SCORE)
    (project / "env" / "conda.yml").write_text(CONDA + "      - scikit-learn==1.5.0\n")
    kernel = "name: kernel\ndependencies:\n  - python=3.10\n  - pip\n  - pip:\n      - numpy\n"
    (project / "notebooks" / "conda.yml").write_text(kernel)
    (project / "deploy" / "blue.yml").write_text(
        "name: blue\ncode_configuration:\n  code: ../src\n  scoring_script: score.py\n"
        "environment:\n  conda_file: ../env/conda.yml\n  image: base\n"
        "instance_type: Standard_DS3_v2\n"
    )
    score_uri = open_document(client, project / "src" / "score.py", SKLEARN_SCORE)
    published = await wait_for_publish(client, score_uri)
    assert "AML116" not in codes(published)  # scikit-learn is in the deployment's environment

    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=score_uri),
            position=types.Position(line=0, character=1),
        )
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "online deployment of src/score.py ('blue')" in text
    assert "conda file env/conda.yml" in text and "deploy/blue.yml" in text

    kernel_uri = open_document(client, project / "notebooks" / "conda.yml", kernel, language="yaml")
    kernel_published = await wait_for_publish(client, kernel_uri)
    assert "AML204" not in codes(kernel_published)
