"""Command-line arguments and editor options into a `DebugLoopRequest`, checked against the
option table (options.py); errors in the caller's words."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from amldebug.debug_loop.options import (
    DebugLoopRequest,
    LoopOption,
    options_for,
    request_for,
)
from amldebug.errors import UsageError

# The command line -----------------------------------------------------------------------------


def add_cli_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """The argparse arguments of `verb`, from the table (dest = the option's name)."""
    for option in options_for(verb):
        if option.cli_flag is None:
            continue
        names = [option.cli_flag, *([option.cli_short] if option.cli_short else [])]
        settings: dict[str, Any] = {"help": option.help}
        if option.metavar:
            settings["metavar"] = option.metavar
        if option.positional:
            default = option.default_on_cli()
            if default is not None:
                settings.update(nargs="?", default=default)
            parser.add_argument(option.cli_flag, type=_cli_type(option), **settings)
            continue
        settings["dest"] = option.name
        if option.kind is bool:
            settings["action"] = "store_false" if option.cli_negated else "store_true"
        elif option.kind in (list, dict):
            settings.update(action="append", default=[])
        else:
            settings.update(type=_cli_type(option), default=option.default_on_cli())
            if option.choices:
                settings["choices"] = option.choices
        parser.add_argument(*names, **settings)


def _cli_type(option: LoopOption) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = option.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid {option.kind.__name__} value: {text!r}"
            ) from None
        if option.check is None or option.choices:
            return value  # argparse checks the choices itself, with its own message
        try:
            return option.check(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = option.kind.__name__  # argparse names the type in its messages
    return convert


def request_from_cli(verb: str, args: argparse.Namespace) -> DebugLoopRequest:
    """The request the parsed command line asks for; UsageError names the `--flag`."""
    values: dict[str, Any] = {}
    given: set[str] = set()
    for option in options_for(verb):
        if option.cli_flag is None or not hasattr(args, option.name):
            continue
        raw = getattr(args, option.name)
        if raw is None:
            continue
        values[option.name] = _checked(option, raw, option.cli_flag)
        if raw != option.default_on_cli() and raw != [] and not option.positional:
            given.add(option.name)
    return request_for(verb, origin="cli", given=frozenset(given), **values)


# The editor -----------------------------------------------------------------------------------


def request_from_lsp(verb: str, options: Mapping[str, Any]) -> DebugLoopRequest:
    """The request an executeCommand options object asks for (camelCase keys; unknown keys are
    ignored); UsageError names the `key`. A missing, empty or zero value means the default."""
    values: dict[str, Any] = {}
    for option in options_for(verb):
        if option.lsp_key is None or option.lsp_key not in options:
            continue
        raw = options[option.lsp_key]
        if raw is None or raw == "" or (option.kind in (int, float) and _is_zero(raw)):
            continue
        values[option.name] = _checked(option, raw, f"`{option.lsp_key}`")
    given = frozenset(values) - {"folder"}
    workspace = options.get("workspaceFolder")
    if isinstance(workspace, str) and workspace:
        values["workspace_folder"] = workspace
    return request_for(verb, origin="editor", given=given, **values)


def _is_zero(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value == 0


_KIND_WORDS = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    list: "a list of strings",
    dict: "an object of strings",
}


def _checked(option: LoopOption, raw: Any, said: str) -> Any:
    """`raw` as the option's kind, checked; UsageError in the caller's words (`said`)."""
    value = _as_kind(option, raw, said)
    if option.check is None or value is None:
        return value
    try:
        return option.check(value)
    except ValueError as error:
        raise UsageError(f"{said}: {error}.") from None


def _wrong(said: str, option: LoopOption, raw: Any) -> UsageError:
    shown = type(raw).__name__ if isinstance(raw, (bool, list, dict)) or raw is None else repr(raw)
    return UsageError(f"{said} must be {_KIND_WORDS[option.kind]}, not {shown}.")


def _as_kind(option: LoopOption, raw: Any, said: str) -> Any:
    kind = option.kind
    if kind is bool:
        if not isinstance(raw, bool):
            raise _wrong(said, option, raw)
        return raw
    if kind in (int, float):
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise _wrong(said, option, raw)
        try:
            number = float(raw) if kind is float else int(raw)
        except (TypeError, ValueError):
            raise _wrong(said, option, raw) from None
        if kind is int and isinstance(raw, float) and raw != int(raw):
            raise _wrong(said, option, raw)
        return number
    if kind is str:
        if not isinstance(raw, str):
            raise _wrong(said, option, raw)
        return raw
    if kind is list:
        if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
            raise _wrong(said, option, raw)
        return tuple(raw)
    if kind is dict:
        return _mapping(raw, said, option)
    raise AssertionError(f"{option.name}: unknown kind {kind}")


def _mapping(raw: Any, said: str, option: LoopOption) -> dict[str, str]:
    """K=V items (the command line's `--env`) or an object (the editor's) as a str mapping."""
    if isinstance(raw, Mapping):
        result: dict[str, str] = {}
        for key, value in raw.items():
            if not isinstance(key, str) or not key or isinstance(value, (dict, list)):
                raise _wrong(said, option, raw)
            result[key] = "" if value is None else str(value)
        return result
    if isinstance(raw, (list, tuple)):
        result = {}
        for item in raw:
            key, sep, value = str(item).partition("=")
            if not sep or not key:
                raise UsageError(f"{said} wants K=V, not {item!r}.")
            result[key] = value
        return result
    raise _wrong(said, option, raw)
