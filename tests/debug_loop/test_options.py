"""The option table (issue 11, item 2): one entry per option, the request built from it by both
adapters, and errors in each caller's words."""

from __future__ import annotations

import argparse
import typing

import pytest

from amldebug.containers.defaults import DEFAULT_TAG
from amldebug.debug_loop.options import (
    NOT_OPTIONS,
    OPTIONS,
    VERBS,
    DebugLoopRequest,
    add_cli_arguments,
    field_names,
    options_for,
    request_for,
    request_from_cli,
    request_from_lsp,
)
from amldebug.errors import UsageError

# The flags each verb took before the table (kept working: scripts use them).
FLAGS_BEFORE_THE_TABLE = {
    "build": "--base-image --ca-bundle --conda-file --entry-script --json --model --quiet --steps "
    "--tag folder",
    "run": "--bind --conda-file --debug-port --entry-script --env --gpus --image --json --model "
    "--name --no-mount --port --quiet --runtime --steps --timeout --wait-for-debugger folder",
    "up": "--base-image --bind --ca-bundle --conda-file --debug-port --entry-script --env --gpus "
    "--json --model --name --no-launch-config --no-mount --port --quiet --runtime --steps --tag "
    "--timeout --wait-for-debugger folder",
    "update": "--base-image --bind --ca-bundle --conda-file --debug-port --entry-script --env "
    "--gpus --json --model --name --no-mount --port --quiet --runtime --steps --tag --timeout "
    "--wait-for-debugger folder",
    "reload": "--name --timeout folder",
    "logs": "--follow --name --tail",
    "shell": "--name",
    "commit": "--name --tag",
    "sync": "--apply --force --json --name folder",
    "stop": "--force --image --name",
    "model-path": "--json --name",
    "pull": "--password-stdin --tag --username image",
    "ps": "--json",
    "invoke": "--data --file --folder --host --path --port --timeout",
}


def _parser(verb: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"amldebug {verb}")
    add_cli_arguments(parser, verb)
    return parser


def test_every_request_field_is_an_option_and_every_option_a_field() -> None:
    assert field_names() - NOT_OPTIONS == {option.name for option in OPTIONS}


def test_an_option_has_one_kind_and_each_verb_takes_it_once() -> None:
    hints = typing.get_type_hints(DebugLoopRequest)
    for option in OPTIONS:
        assert option.kind in (str, int, float, bool, list, dict), option.name
        same_name = [o for o in OPTIONS if o.name == option.name]
        assert {o.kind for o in same_name} == {option.kind}, option.name
        assert option.name in hints
    for verb in VERBS:
        taken = options_for(verb)
        names = [o.name for o in taken]
        assert len(names) == len(set(names)), verb
        flags = [o.cli_flag for o in taken if o.cli_flag]
        assert len(flags) == len(set(flags)), verb
        keys = [o.lsp_key for o in taken if o.lsp_key]
        assert len(keys) == len(set(keys)), verb


@pytest.mark.parametrize("verb", sorted(FLAGS_BEFORE_THE_TABLE))
def test_the_command_line_keeps_every_flag_it_had(verb: str) -> None:
    parser = _parser(verb)
    flags = {
        action.option_strings[0] if action.option_strings else action.dest
        for action in parser._actions
    }
    assert set(FLAGS_BEFORE_THE_TABLE[verb].split()) <= flags


def test_the_command_line_defaults_and_conversions() -> None:
    request = request_from_cli("up", _parser("up").parse_args([]))
    assert request.folder == "."
    assert request.tag == DEFAULT_TAG
    assert request.mount is True and request.write_launch_config is True
    assert request.port is None and request.server_port == 8000
    assert request.timeout == 120.0
    request = request_from_cli(
        "run",
        _parser("run").parse_args(
            ["proj", "--no-mount", "--env", "A=1", "--env", "B=x=y", "--gpus", "--port", "18101"]
        ),
    )
    assert (request.folder, request.mount, request.gpus) == ("proj", False, True)
    assert request.port == 18101
    assert request.env == {"A": "1", "B": "x=y"}
    assert request.given == {"mount", "env", "gpus", "port"}
    assert request.said("debug_port") == "--debug-port"
    assert request_from_cli("reload", _parser("reload").parse_args([])).timeout == 60.0
    assert request_from_cli("invoke", _parser("invoke").parse_args([])).timeout == 300.0
    assert request_from_cli("commit", _parser("commit").parse_args([])).tag is None


def test_a_bad_value_on_the_command_line_names_the_flag(capsys) -> None:
    with pytest.raises(UsageError, match=r"^--env wants K=V, not 'nope'\.$"):
        request_from_cli("run", _parser("run").parse_args(["--env", "nope"]))
    with pytest.raises(SystemExit):
        _parser("run").parse_args(["--bind", "0.0.0.0 --privileged"])
    assert "--bind" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _parser("run").parse_args(["--port", "70000"])
    assert "not a port number" in capsys.readouterr().err


def test_the_editors_options_become_the_same_request() -> None:
    request = request_from_lsp(
        "up",
        {
            "folder": "/p",
            "workspaceFolder": "/",
            "port": "18102",
            "debugPort": 0,  # zero, empty or missing: the default
            "mount": False,
            "env": {"A": 1},
            "gpus": True,
            "models": ["m"],
            "unknownKey": object(),
        },
    )
    assert request == request_for(
        "up",
        origin="editor",
        folder="/p",
        workspace_folder="/",
        port=18102,
        mount=False,
        env={"A": "1"},
        gpus=True,
        models=["m"],
    )
    assert request.write_launch_config is True and request.debug_port is None
    assert request.given == {"port", "mount", "env", "gpus", "models"}
    assert request.said("debug_port") == "`debugPort`"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": "abc"}, "`port` must be a number, not 'abc'."),
        ({"port": [1]}, "`port` must be a number, not list."),
        ({"port": True}, "`port` must be a number, not bool."),
        ({"mount": "no"}, "`mount` must be true or false, not 'no'."),
        ({"models": "m"}, "`models` must be a list of strings, not 'm'."),
        ({"env": ["A"]}, "`env` wants K=V, not 'A'."),
        ({"runtime": "podman"}, "`runtime`: must be one of docker, process, auto, not 'podman'."),
        ({"port": 70000}, "`port`: 70000 is not a port number (1-65535)."),
    ],
)
def test_a_bad_value_from_the_editor_names_the_key(options: dict, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        request_from_lsp("run", options)
    assert raised.value.message == message


def test_a_bad_bind_address_is_refused_in_both_vocabularies() -> None:
    with pytest.raises(UsageError, match=r"^`bind`: "):
        request_from_lsp("up", {"bind": "0.0.0.0 --privileged"})
