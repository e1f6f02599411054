"""launch.json merging: comments, other configurations and formatting survive; ours appears once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amldebug.cli.main import main
from amldebug.containers.jsonc import parse_jsonc, strip_jsonc
from amldebug.containers.launch_config import (
    DOCKER_CONFIGURATION_NAME,
    PROCESS_CONFIGURATION_NAME,
    docker_debug_configuration,
    merge_launch_config,
    process_debug_configuration,
)
from amldebug.containers.launch_json_file import write_launch_config
from amldebug.errors import AmlDebugError

OURS = docker_debug_configuration()
ONE_SHAPE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "launch-entry.json").read_text(encoding="utf-8")
)

VSCODE_DEFAULT = """{
    // Use IntelliSense to learn about possible attributes.
    // Hover to view descriptions of existing attributes.
    "version": "0.2.0",
    "configurations": [
        {
            "name": "Python Debugger: Current File",
            "type": "debugpy",
            "request": "launch",
            "program": "${file}",
            "console": "integratedTerminal"
        }
    ]
}
"""


def plain(text: str) -> Any:
    """What any JSONC reader sees: strip comments and trailing commas, then strict JSON."""
    return json.loads(strip_jsonc(text))


def named(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in document["configurations"] if isinstance(c, dict) and c.get("name") == name]


def test_new_file_has_version_and_exactly_the_guide_entry():
    edit = merge_launch_config(None, OURS)
    assert edit.created and edit.changed and edit.error is None
    document = json.loads(edit.text or "")
    assert document == {"version": "0.2.0", "configurations": [ONE_SHAPE]}


def test_one_entry_shape_shared_with_the_extension():
    """The CLI, the server and the extension's fallback write this one entry (issue 10, item 5):
    the extension's unit test compares its fallback with the same file."""
    assert OURS == ONE_SHAPE
    assert OURS["connect"]["host"] == "127.0.0.1"
    # Our wrapper and launcher are hidden from the call stack (issue 10, item 4).
    assert {"path": "**/amldebug_launch.py", "include": False} in OURS["rules"]
    assert {"path": "**/amldebug_entry.py", "include": False} in OURS["rules"]


def test_cli_writes_the_same_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "score.py").write_text("def init():\n    pass\n\n\ndef run(d):\n    return d\n")
    assert main(["launch-config", str(tmp_path)]) == 0
    capsys.readouterr()
    document = plain((tmp_path / ".vscode" / "launch.json").read_text())
    assert named(document, DOCKER_CONFIGURATION_NAME) == [ONE_SHAPE]


def test_a_localhost_entry_is_moved_to_127_0_0_1():
    stale_entry = dict(OURS, connect={"host": "localhost", "port": 5678})
    stale = json.dumps({"configurations": [stale_entry]})
    document = plain(merge_launch_config(stale, OURS).text or "")
    assert named(document, DOCKER_CONFIGURATION_NAME) == [ONE_SHAPE]


def test_vscode_default_file_gets_the_comma_and_keeps_comments_and_indentation():
    edit = merge_launch_config(VSCODE_DEFAULT, OURS)
    text = edit.text or ""
    assert not edit.created and not edit.updated and edit.changed
    assert "// Use IntelliSense to learn about possible attributes." in text
    assert '            "console": "integratedTerminal"\n        },\n        {\n' in text
    assert '            "name": "Azure ML: Docker Debug",\n' in text
    document = plain(text)
    assert [c["name"] for c in document["configurations"]] == [
        "Python Debugger: Current File",
        DOCKER_CONFIGURATION_NAME,
    ]
    # The untouched part of the file is byte for byte the same.
    assert text.startswith(VSCODE_DEFAULT.split("        }\n    ]")[0] + "        },")


def test_comment_after_the_last_entry_stays_after_the_comma():
    text = '{\n  "configurations": [\n    {"name": "a"} // keep me\n  ]\n}\n'
    merged = merge_launch_config(text, OURS).text or ""
    assert '    {"name": "a"}, // keep me\n' in merged
    assert [c["name"] for c in plain(merged)["configurations"]] == ["a", DOCKER_CONFIGURATION_NAME]


def test_our_entry_is_updated_in_place_keeping_user_properties_and_comments():
    text = """{
  "configurations": [
    {
      "name": "Azure ML: Docker Debug",
      // my own setting
      "type": "debugpy",
      "request": "attach",
      "connect": {"host": "localhost", "port": 5678},
      "logToFile": true,
    },
    {"name": "other"}
  ]
}
"""
    edit = merge_launch_config(text, docker_debug_configuration(6000))
    merged = edit.text or ""
    assert edit.updated and not edit.created
    assert "// my own setting" in merged
    document = plain(merged)
    [ours] = named(document, DOCKER_CONFIGURATION_NAME)
    assert ours["connect"] == {"host": "127.0.0.1", "port": 6000}
    assert ours["logToFile"] is True
    assert ours["pathMappings"] == OURS["pathMappings"]
    assert [c["name"] for c in document["configurations"]] == [DOCKER_CONFIGURATION_NAME, "other"]


def test_duplicates_of_ours_collapse_to_one():
    text = json.dumps({"configurations": [OURS, {"name": "x"}, OURS]}, indent=2)
    merged = merge_launch_config(text, OURS).text or ""
    document = plain(merged)
    assert len(named(document, DOCKER_CONFIGURATION_NAME)) == 1
    assert named(document, "x") == [{"name": "x"}]


def test_missing_configurations_key_is_added():
    text = '{\n\t"version": "0.2.0", // pinned\n\t"compounds": []\n}\n'
    merged = merge_launch_config(text, OURS).text or ""
    assert '\t"compounds": [],\n\t"configurations": [\n\t\t{\n' in merged
    assert "// pinned" in merged
    assert named(plain(merged), DOCKER_CONFIGURATION_NAME) == [OURS]


def test_process_entry_has_its_own_name_and_no_path_mappings():
    merged = merge_launch_config(
        merge_launch_config(None, OURS).text, process_debug_configuration(5999)
    )
    document = plain(merged.text or "")
    [process] = named(document, PROCESS_CONFIGURATION_NAME)
    assert "pathMappings" not in process
    assert process["connect"] == {"host": "127.0.0.1", "port": 5999}
    assert len(named(document, DOCKER_CONFIGURATION_NAME)) == 1


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{\n  "configurations": [\n    {"name": "a"}\n    {"name": "b"}\n  ]\n}', 4, 5),
        ('{\n  "version": "0.2.0"\n  "configurations": []\n}', 3, 3),
        ("{\n  /* never closed\n}", 2, 3),
        ('{\n  "configurations": [\n', 3, 1),
        ("[]", 1, 1),
        ('{"configurations": {"name": "a"}}', 1, 20),
    ],
)
def test_broken_file_is_not_changed_and_the_error_says_where(text, line, column):
    edit = merge_launch_config(text, OURS)
    assert edit.text is None and not edit.changed
    assert edit.error is not None
    assert (edit.error.line, edit.error.column) == (line, column)


def test_writer_creates_then_merges_then_leaves_an_up_to_date_file_alone(tmp_path: Path):
    first = write_launch_config(tmp_path, OURS)
    assert first.created and first.path == tmp_path / ".vscode" / "launch.json"
    second = write_launch_config(tmp_path, OURS)
    assert not second.changed
    assert second.path.read_text() == first.text
    assert [p.name for p in (tmp_path / ".vscode").iterdir()] == ["launch.json"]


def test_writer_refuses_a_broken_file_and_leaves_it_as_it_was(tmp_path: Path):
    path = tmp_path / ".vscode" / "launch.json"
    path.parent.mkdir()
    path.write_text('{\n  "configurations": [\n    {"name": "a"}\n    {"name": "b"}\n  ]\n}')
    before = path.read_bytes()
    with pytest.raises(AmlDebugError) as raised:
        write_launch_config(tmp_path, OURS)
    assert f"{path}:4:5" in raised.value.message
    assert "Nothing was changed" in raised.value.message
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["launch.json"]


def test_cli_launch_config_writes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / ".vscode" / "launch.json"
    path.parent.mkdir()
    path.write_text(VSCODE_DEFAULT)
    assert main(["launch-config", str(tmp_path), "--debug-port", "5700"]) == 0
    out = capsys.readouterr().out
    assert "Added 'Azure ML: Docker Debug'" in out
    [ours] = named(parse_jsonc(path.read_text()), DOCKER_CONFIGURATION_NAME)
    assert ours["connect"]["port"] == 5700
    assert main(["launch-config", str(tmp_path), "--debug-port", "5700"]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_cli_launch_config_on_a_broken_file_exits_1_with_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / ".vscode" / "launch.json"
    path.parent.mkdir()
    path.write_text('{\n  "configurations": [,]\n}')
    assert main(["launch-config", str(tmp_path)]) == 1
    assert f"{path}:2:22" in capsys.readouterr().err
    assert path.read_text() == '{\n  "configurations": [,]\n}'


# ------------------------------------------------------------------------------------------
# Property tests: random JSONC with comments, trailing commas, other configurations, nesting.

_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s not in (DOCKER_CONFIGURATION_NAME, PROCESS_CONFIGURATION_NAME))
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=10),
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
_other_configurations = st.lists(
    st.builds(
        lambda name, extra: {"name": name, **{k: v for k, v in extra.items() if k != "name"}},
        _names,
        st.dictionaries(st.text(min_size=1, max_size=8), _values, max_size=3),
    ),
    max_size=4,
)


class _Writer:
    """Serialises a value as JSONC with random comments, trailing commas and indentation."""

    def __init__(self, draw: Any, unit: str, eol: str):
        self.draw = draw
        self.unit = unit
        self.eol = eol
        self.comments: list[str] = []
        self.protected: list[str] = []  # comments inside values our merge may replace

    def gap(self, indent: str, protect: bool) -> str:
        choice = self.draw(st.integers(0, 5))
        if choice == 0:
            comment = f"/* c{len(self.comments) + len(self.protected)} */"
        elif choice == 1:
            comment = f"// c{len(self.comments) + len(self.protected)}!"
        else:
            return ""
        (self.protected if protect else self.comments).append(comment)
        if comment.startswith("//"):
            return " " + comment + self.eol + indent
        return " " + comment + " "

    def write(self, value: Any, indent: str, protect: bool = False) -> str:
        inner = indent + self.unit
        if isinstance(value, dict):
            items = list(value.items())
            is_ours = value.get("name") == DOCKER_CONFIGURATION_NAME
            parts = [
                self.gap(inner, protect)
                + json.dumps(k)
                + ":"
                + self.gap(inner, protect or is_ours)
                + " "
                + self.write(v, inner, protect or is_ours)
                for k, v in items
            ]
            return self._container("{", "}", parts, indent, inner, protect)
        if isinstance(value, list):
            parts = [self.gap(inner, protect) + self.write(v, inner, protect) for v in value]
            return self._container("[", "]", parts, indent, inner, protect)
        return json.dumps(value)

    def _container(
        self, open_: str, close: str, parts: list[str], indent: str, inner: str, protect: bool
    ) -> str:
        if not parts:
            return open_ + self.gap(indent, protect) + close
        trailing = "," if self.draw(st.booleans()) else ""
        body = ("," + self.eol + inner).join(parts)
        return (
            open_
            + self.eol
            + inner
            + body
            + trailing
            + self.gap(indent, protect)
            + self.eol
            + indent
            + close
        )


@st.composite
def launch_documents(draw: Any) -> tuple[str, list[dict[str, Any]], list[str]]:
    others = draw(_other_configurations)
    configurations: list[Any] = list(others)
    if draw(st.booleans()):
        stale = dict(OURS, connect={"host": "localhost", "port": draw(st.integers(1, 65535))})
        if draw(st.booleans()):
            stale.pop("pathMappings")
        configurations.insert(draw(st.integers(0, len(configurations))), stale)
    document: dict[str, Any] = {}
    if draw(st.booleans()):
        document["version"] = "0.2.0"
    for key, value in draw(
        st.dictionaries(st.sampled_from(["compounds", "inputs", "x"]), _values, max_size=2)
    ).items():
        document[key] = value
    if draw(st.integers(0, 4)) > 0:
        document["configurations"] = configurations
    else:
        others = []
    writer = _Writer(
        draw, draw(st.sampled_from(["  ", "    ", "\t"])), draw(st.sampled_from(["\n", "\r\n"]))
    )
    text = writer.gap("", False) + writer.write(document, "") + writer.gap("", False) + writer.eol
    return text, others, writer.comments


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(launch_documents())
def test_merge_keeps_everything_and_holds_exactly_one_of_ours(sample):
    text, others, comments = sample
    assert plain(text) is not None  # the generator itself writes valid JSONC
    edit = merge_launch_config(text, OURS)
    assert edit.error is None and edit.text is not None
    document = plain(edit.text)
    assert named(document, DOCKER_CONFIGURATION_NAME) == [OURS] or _ours_with_extras(document)
    remaining = [
        c for c in document["configurations"] if c.get("name") != DOCKER_CONFIGURATION_NAME
    ]
    assert remaining == others
    for comment in comments:
        assert edit.text.count(comment) >= text.count(comment), comment
    again = merge_launch_config(edit.text, OURS)
    assert again.text == edit.text and not again.changed


def _ours_with_extras(document: dict[str, Any]) -> bool:
    [ours] = named(document, DOCKER_CONFIGURATION_NAME)
    return all(ours[key] == value for key, value in OURS.items())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[],:" /*\n\tabtrue0123-', max_size=40))
def test_arbitrary_text_either_merges_or_reports_a_position_inside_it(text):
    edit = merge_launch_config(text, OURS)
    if edit.error is not None:
        assert edit.text is None
        assert 1 <= edit.error.line <= text.count("\n") + 1
        assert 0 <= edit.error.offset <= len(text)
    else:
        assert len(named(plain(edit.text or ""), DOCKER_CONFIGURATION_NAME)) == 1


def test_strip_jsonc_matches_json_on_comment_free_text():
    text = '{"a": [1, 2,], "b": "x // not a comment /* nor this */",}'
    assert json.loads(strip_jsonc(text)) == {"a": [1, 2], "b": "x // not a comment /* nor this */"}
    assert re.search(r"\bnot a comment\b", merge_launch_config(text, OURS).text or "")


def test_writer_does_not_overwrite_a_save_made_while_it_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import amldebug.containers.launch_json_file as launch_config

    path = tmp_path / ".vscode" / "launch.json"
    path.parent.mkdir()
    path.write_text(VSCODE_DEFAULT)
    real_merge = launch_config.merge_launch_config

    def merge_while_the_editor_saves(text: str | None, configuration: dict[str, Any]) -> Any:
        edit = real_merge(text, configuration)
        path.write_text('{"configurations": [] /* saved by the editor */}')
        return edit

    monkeypatch.setattr(launch_config, "merge_launch_config", merge_while_the_editor_saves)
    with pytest.raises(AmlDebugError) as raised:
        write_launch_config(tmp_path, OURS)
    assert (
        raised.value.message
        == f"{path} changed while amldebug was editing it; nothing was written."
    )
    assert path.read_text() == '{"configurations": [] /* saved by the editor */}'
    assert [p.name for p in path.parent.iterdir()] == ["launch.json"]
