"""The editor-server contract (issue 11, item 3): one registry of commands, params decoded and
checked in one place, trust decided by the server, and the generated TypeScript, the JSON
schema and docs/lsp-protocol.md in step with the dataclasses."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from amldebug.debug_loop.options import options_for
from amldebug.lsp.contract import COMMANDS
from amldebug.lsp.contract.dispatch import InvalidArguments, options_object, run_command
from amldebug.lsp.contract.generate import REPOSITORY, generated_files, stale_files
from amldebug.lsp.contract.loop_params import request_of
from amldebug.lsp.contract.typescript import field_is_optional
from amldebug.lsp.contract.wire import ContractError, decode, fields_of, wire_name
from amldebug.lsp.protocol import COMMAND_MODULES, ENGINE_COMMANDS

TRUSTED = SimpleNamespace(workspace_trusted=True)
UNTRUSTED = SimpleNamespace(workspace_trusted=False)
PROTOCOL_DOC = REPOSITORY / "docs" / "lsp-protocol.md"
GENERATED_TS = REPOSITORY / "extension" / "src" / "generated"


def wire_fields(cls: type, role: str) -> dict[str, bool]:
    """Wire key -> whether it may be absent."""
    return {wire_name(f): field_is_optional(f, tp, role) for f, tp in fields_of(cls)}


# -- one list ---------------------------------------------------------------------------------


def test_the_advertised_commands_and_handler_modules_come_from_the_registry():
    assert tuple(COMMANDS) == ENGINE_COMMANDS
    assert set(COMMAND_MODULES) == {contract.module for contract in COMMANDS.values()}
    for contract in COMMANDS.values():
        assert callable(contract.resolve()), contract.name


def test_the_debug_loop_params_are_the_option_tables():
    """Adding an option to the table adds the param: nothing in the contract is edited."""
    for name, verb in (("amldebug.up", "up"), ("amldebug.modelPath", "model-path")):
        keys = set(wire_fields(COMMANDS[name].params, "params"))
        table = {o.lsp_key for o in options_for(verb) if o.lsp_key}
        assert table <= keys and keys - table <= {"workspaceFolder"}, name
    params = decode(COMMANDS["amldebug.run"].params, {"gpus": True, "port": 8100})
    request = request_of(params)
    assert (request.gpus, request.port, request.debug_port) == (True, 8100, None)


def test_generated_typescript_and_schema_are_fresh():
    assert stale_files() == [], "run: python -m amldebug.lsp.contract.generate"


def test_registry_typescript_and_protocol_doc_name_the_same_commands_and_fields():
    typescript = "\n".join(
        (GENERATED_TS / name).read_text(encoding="utf-8")
        for name in ("contract.ts", "params.ts", "results.ts")
    )
    union = re.search(r"export type CommandName =(.*?);", typescript, re.S)
    assert union is not None
    assert re.findall(r"'([\w.]+)'", union.group(1)) == list(COMMANDS)
    documented = documented_commands()
    assert list(documented) == list(COMMANDS)
    for contract in COMMANDS.values():
        params = wire_fields(contract.params, "params")
        result = wire_fields(contract.result, "result")
        assert ts_fields(typescript, contract.params.__name__) == params, contract.name
        assert ts_fields(typescript, contract.result.__name__) == result, contract.name
        row = documented[contract.name]
        assert row["trust"] == ("yes" if contract.requires_trust else "no"), contract.name
        assert row["params"] == {k: not optional for k, optional in params.items()}, contract.name
        assert row["result"] == {k: not optional for k, optional in result.items()}, contract.name


def ts_fields(typescript: str, interface: str) -> dict[str, bool]:
    body = re.search(rf"export interface {interface} \{{\n(.*?)\n\}}", typescript, re.S)
    assert body is not None, interface
    found = re.findall(r"^    (\w+)(\??): ", body.group(1), re.M)
    return {key: bool(mark) for key, mark in found if key != "ok"}


def documented_commands() -> dict[str, dict]:
    """The command table of docs/lsp-protocol.md: `name` | trust | params | result; a `*` after
    a param marks it required, a `?` after a result field marks it as possibly absent."""

    def names(cell: str, marker: str) -> dict[str, bool]:
        """Each field -> whether it is required."""
        found = re.findall(r"`(\w+)`([*?]?)", cell.replace("\\", ""))
        return {key: (mark == "*") if marker == "*" else (mark != "?") for key, mark in found}

    rows = {}
    for line in PROTOCOL_DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and (command := re.fullmatch(r"`(amldebug\.\w+)`", cells[0])):
            rows[command.group(1)] = {
                "trust": cells[1],
                "params": names(cells[2], "*"),
                "result": names(cells[3], "?"),
            }
    return rows


# -- decoding and the one dispatch ------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": "abc"}, "`port` must be a number, not a string"),
        ({"port": True}, "`port` must be a number, not a boolean"),
        ({"env": {"A": 1}}, "`env.A` must be a string, not a number"),
        ({"runtime": "podman"}, "`runtime` must be one of 'auto', 'docker', 'process'"),
        ({"models": "model.pkl"}, "`models` must be an array of strings, not a string"),
        ({"mount": "yes"}, "`mount` must be true or false"),
    ],
)
def test_a_wrong_type_is_a_result_naming_the_key_and_no_handler_runs(options, message):
    answer = run_command(TRUSTED, "amldebug.up", options)
    assert answer["ok"] is False
    assert answer["error"].startswith(message), answer
    assert "Traceback" not in json.dumps(answer)


def test_a_required_param_is_named():
    answer = run_command(UNTRUSTED, "amldebug.explain", {})
    assert answer == {"ok": False, "error": "`text` is required."}


def test_unknown_keys_are_ignored_and_the_wire_is_camel_case():
    params = decode(COMMANDS["amldebug.launchConfig"].params, {"debugPort": 5690, "x": 1})
    assert params.debug_port == 5690
    with pytest.raises(ContractError):
        decode(COMMANDS["amldebug.launchConfig"].result, {"path": "p", "x": 1}, strict=True)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([5], "takes one argument, an object of options; it got a number"),
        (["folder"], "it got a string"),
        ([{}, {}], "it got 2"),
    ],
)
def test_arguments_that_are_not_one_object_are_invalid_params(arguments, message):
    with pytest.raises(InvalidArguments, match=message):
        options_object("amldebug.status", arguments)


def test_no_arguments_or_null_are_an_empty_options_object():
    assert options_object("amldebug.status", None) == {}
    assert options_object("amldebug.status", []) == {}
    assert options_object("amldebug.status", [None]) == {}


# -- trust ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [c.name for c in COMMANDS.values() if c.requires_trust])
def test_commands_that_need_trust_are_refused_and_a_trusted_key_is_ignored(command):
    answer = run_command(UNTRUSTED, command, {"trusted": True, "folder": "/nonexistent"})
    assert answer["ok"] is False and answer["untrusted"] is True
    assert "not trusted" in answer["error"]


def test_commands_that_read_text_only_run_untrusted():
    answer = run_command(UNTRUSTED, "amldebug.replicas", {"targetRps": 10, "requestTime": 0.5})
    assert answer["ok"] is True and answer["replicas"] >= 1


def test_launch_config_is_computed_only_in_a_trusted_workspace(tmp_path: Path):
    (tmp_path / "score.py").write_text("def init():\n    pass\n\n\ndef run(d):\n    return d\n")
    refused = run_command(UNTRUSTED, "amldebug.launchConfig", {"folder": str(tmp_path)})
    assert refused["untrusted"] is True
    answer = run_command(TRUSTED, "amldebug.launchConfig", {"folder": str(tmp_path)})
    assert answer["ok"] is True and answer["created"] is True and "launchConfig" not in answer
    assert not (tmp_path / ".vscode").exists()


def test_generated_files_name_every_type_once():
    typescript = "".join(text for path, text in generated_files().items() if path.suffix == ".ts")
    declared = re.findall(r"^export interface (\w+)", typescript, re.M)
    assert len(declared) == len(set(declared))
    for contract in COMMANDS.values():
        for cls in (contract.params, contract.result, *contract.failures):
            assert dataclasses.is_dataclass(cls) and cls.__name__ in declared
