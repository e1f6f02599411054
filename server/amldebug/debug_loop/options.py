"""Every option of the debug-loop verbs, once: name, type, default, CLI flag, editor key, setting.

The CLI builds its argparse flags from `OPTIONS` (cli/containers.py), the language server reads
executeCommand options through it, and the editor contract (lsp/contract/) derives each verb's
params from `options_for(verb)`. Both adapters turn what they received into one
`DebugLoopRequest`; a value of the wrong type is a `UsageError` in the caller's words (`--port`
on the command line, `port` in the editor). Adding a `docker run` option means one entry here, one
field on the request, the runtime that uses it and a test.

`kind` is str, int, float, bool, list (of str) or dict (str to str: `--env K=V` on the command
line, an object in the editor).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from amldebug.containers.defaults import DEFAULT_BASE_IMAGE, DEFAULT_NAME, DEFAULT_TAG, RUNTIMES
from amldebug.project_target import ProjectTarget

# The verbs of the debug loop: the CLI's and the editor's (`amldebug.modelPath` is "model-path").
VERBS = frozenset(
    {
        "build",
        "run",
        "up",
        "update",
        "reload",
        "logs",
        "shell",
        "commit",
        "sync",
        "stop",
        "status",
        "model-path",
        "pull",
        "ps",
        "invoke",
    }
)

_SAME = object()  # LoopOption.cli_default when the command line's default is `default`


@dataclass(frozen=True)
class LoopOption:
    name: str  # attribute of DebugLoopRequest, snake_case ("gpus")
    kind: type  # str, int, float, bool, list (of str) or dict (str to str)
    default: Any
    cli_flag: str | None  # "--gpus"; a bare word ("folder") is a positional argument
    lsp_key: str | None  # camelCase key in executeCommand options ("gpus")
    setting: str | None  # VS Code setting ("amldebug.baseImage") or None
    verbs: frozenset[str]  # which commands take it: {"build", "run", "up", ...}
    help: str
    # A bool whose flag turns it off: `--no-mount` sets `mount` to False.
    cli_negated: bool = False
    cli_short: str | None = None  # "-f"
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    # Normalises one value (a str for a str option...); ValueError says what is wrong with it.
    check: Callable[[Any], Any] | None = None
    # The command line's default when it differs (the project folder: "." there, the workspace
    # folder in the editor).
    cli_default: Any = _SAME
    # What `update` keeps of it from the container it replaces (recorded in a label, JSON):
    # "value"; "path" (only when inside the project, kept relative to it: no host paths);
    # "names" (of a mapping: the values are secrets, read back from the container's own
    # environment); "no".
    recorded: str = "value"
    # Only a container has it (a memory limit, GPUs, an image): the local process runs without,
    # and says so when it was given.
    docker_only: bool = False

    @property
    def positional(self) -> bool:
        return self.cli_flag is not None and not self.cli_flag.startswith("-")

    def default_on_cli(self) -> Any:
        return self.default if self.cli_default is _SAME else self.cli_default


def _port(value: int) -> int:
    if not 0 < value < 65536:
        raise ValueError(f"{value} is not a port number (1-65535)")
    return value


def _bind_address(value: str) -> str:
    from amldebug.containers.ports import parse_bind_address

    return parse_bind_address(value)


def _runtime(value: str) -> str:
    if value not in RUNTIMES:
        raise ValueError(f"must be one of {', '.join(RUNTIMES)}, not {value!r}")
    return value


def _memory_size(value: str) -> str:
    import re

    if not re.fullmatch(r"\d+(\.\d+)?[bkmg]?", value.strip().lower()):
        raise ValueError(f"{value!r} is not a memory size (e.g. 512m, 3.5g)")
    return value.strip().lower()


def _positive(value: float) -> float:
    if value < 0:
        raise ValueError(f"must not be negative, not {value}")
    return value


def _verbs(*names: str) -> frozenset[str]:
    unknown = set(names) - VERBS
    assert not unknown, unknown
    return frozenset(names)


_PROJECT = _verbs("build", "run", "up", "update")
_BUILD = _verbs("build", "up", "update")
_RUN = _verbs("run", "up", "update")
_NAMED = _verbs(
    "build", "run", "up", "update", "reload", "logs", "shell", "commit", "sync", "stop"
) | _verbs("status", "model-path")

OPTIONS: tuple[LoopOption, ...] = (
    # The project ----------------------------------------------------------------------------
    LoopOption(
        "folder", str, None, "folder", "folder", None,
        _PROJECT | _verbs("reload", "sync", "status"),
        "the project folder (default .)", cli_default=".", recorded="no",
    ),
    LoopOption(
        "folder", str, None, "--folder", "folder", None, _verbs("invoke"),
        "where to look for sample-request.json (default: .)", metavar="DIR", cli_default=".",
        recorded="no",
    ),
    LoopOption(
        "entry_script", str, None, "--entry-script", "entryScript", "amldebug.entryScript",
        _PROJECT, "the entry script (default: discovered)", recorded="path",
    ),
    LoopOption(
        "conda_file", str, None, "--conda-file", "condaFile", "amldebug.condaFile", _PROJECT,
        "the conda environment file (default: discovered)", recorded="path",
    ),
    LoopOption(
        "steps_file", str, None, "--steps", "stepsFile", None, _PROJECT,
        "a Dockerfile.steps to append", recorded="path",
    ),
    LoopOption(
        "models", list, (), "--model", "models", None, _PROJECT, "a model file or folder",
        recorded="path",
    ),
    # Output (the command line's) ------------------------------------------------------------
    LoopOption(
        "json", bool, False, "--json", None, None,
        _PROJECT | _verbs("sync", "model-path", "ps"), "print the result as JSON",
        recorded="no",
    ),
    LoopOption(
        "quiet", bool, False, "--quiet", None, None, _PROJECT, "do not stream the build log",
        cli_short="-q", recorded="no",
    ),
    # The image ------------------------------------------------------------------------------
    LoopOption(
        "base_image", str, None, "--base-image", "baseImage", "amldebug.baseImage", _BUILD,
        f"image to build FROM (default: the deployment's, else {DEFAULT_BASE_IMAGE})",
    ),
    LoopOption(
        "tag", str, DEFAULT_TAG, "--tag", "tag", "amldebug.imageTag", _BUILD,
        f"debug image tag (default {DEFAULT_TAG})",
    ),
    LoopOption(
        "ca_bundle", str, None, "--ca-bundle", "caBundle", "amldebug.caBundle", _BUILD,
        "CA bundle for pip/conda behind a TLS-intercepting proxy, used during the build only: "
        "FILE, 'auto' (this machine's bundle) or 'none' (default: $PIP_CERT when set)",
        recorded="path",
    ),
    LoopOption(
        "resolve", bool, False, "--resolve", "resolve", None, _BUILD,
        "resolve the conda file's pip section before building (fails fast when it cannot)",
    ),
    # The server -----------------------------------------------------------------------------
    LoopOption(
        "image", str, DEFAULT_TAG, "--image", "image", None, _verbs("run"),
        f"image to run (default {DEFAULT_TAG})", docker_only=True,
    ),
    LoopOption(
        "name", str, DEFAULT_NAME, "--name", "name", "amldebug.containerName", _NAMED,
        f"container name (default {DEFAULT_NAME})", recorded="no",
    ),
    LoopOption(
        "port", int, None, "--port", "port", "amldebug.port", _RUN,
        "host port for 5001 (default 8000)", check=_port,
    ),
    LoopOption(
        "debug_port", int, None, "--debug-port", "debugPort", "amldebug.debugPort", _RUN,
        "host port for debugpy (default 5678)", check=_port,
    ),
    LoopOption(
        "bind", str, "127.0.0.1", "--bind", "bind", "amldebug.bindAddress", _RUN,
        "host address to publish on (default 127.0.0.1: debugpy runs any code sent to it)",
        check=_bind_address,
    ),
    LoopOption(
        "mount", bool, True, "--no-mount", "mount", "amldebug.mountProject", _RUN,
        "run the code baked into the image, not the folder", cli_negated=True,
        docker_only=True,
    ),
    LoopOption(
        "wait_for_debugger", bool, False, "--wait-for-debugger", "waitForDebugger", None, _RUN,
        "block init() until a debugger attaches",
    ),
    LoopOption(
        "gpus", bool, False, "--gpus", "gpus", None, _RUN,
        "pass every GPU through (needs the NVIDIA runtime)", docker_only=True,
    ),
    LoopOption(
        "memory", str, None, "--memory", "memory", None, _RUN,
        "memory limit of the container, as `docker run --memory` takes it (e.g. 3.5g, an "
        "instance type's memory), without swap: init() or run() outgrowing it is killed as in "
        "the cloud (Docker only)",
        check=_memory_size, docker_only=True,
    ),
    LoopOption(
        "python", str, None, "--python", "python", None, _RUN,
        "the interpreter of the local-process runtime, one with azureml-inference-server-http "
        "and debugpy (default: $AMLDEBUG_PROCESS_PYTHON, amldebug's own, azmlinfsrv on PATH)",
        metavar="PATH", recorded="no",
    ),
    LoopOption(
        "env", dict, {}, "--env", "env", None, _RUN,
        "an environment variable for the server", metavar="K=V", recorded="names",
    ),
    LoopOption(
        "timeout", float, 120.0, "--timeout", "timeout", None, _RUN,
        "seconds to wait for ready", check=_positive,
    ),
    LoopOption(
        "runtime", str, "auto", "--runtime", "runtime", "amldebug.runtime", _RUN,
        "docker, process (no Docker: the server as a local process) or auto",
        choices=RUNTIMES, check=_runtime, recorded="no",
    ),
    LoopOption(
        "write_launch_config", bool, True, "--no-launch-config", "writeLaunchConfig", None,
        _verbs("up"), "do not write .vscode/launch.json", cli_negated=True, recorded="no",
    ),
    # `update` keeps the launch.json entry `up` wrote.
    LoopOption(
        "write_launch_config", bool, False, None, None, None, _verbs("update"),
        "write .vscode/launch.json", recorded="no",
    ),
    # A running server -----------------------------------------------------------------------
    LoopOption(
        "timeout", float, 60.0, "--timeout", "timeout", None, _verbs("reload"),
        "seconds to wait for the reloaded server", check=_positive,
    ),
    LoopOption(
        "wait_for_requests", float, 0.0, None, "waitForRequests", None, _verbs("reload"),
        "seconds to let the requests in flight answer before the worker restarts",
        check=_positive,
    ),
    LoopOption(
        "follow", bool, False, "--follow", None, None, _verbs("logs"), "keep printing new lines",
        cli_short="-f",
    ),
    LoopOption("tail", int, None, "--tail", "tail", None, _verbs("logs"), "only the last N lines"),
    LoopOption(
        "tag", str, None, "--tag", "tag", None, _verbs("commit"),
        "image tag (default: proj:N+1 when amldebug built the running proj:N, else the next "
        "debug:N)",
    ),
    LoopOption(
        "apply", bool, False, "--apply", "apply", None, _verbs("sync"),
        "bring container-side changes in",
    ),
    LoopOption(
        "force", bool, False, "--force", "force", None, _verbs("sync"),
        "also apply files changed on both sides (the container's copy wins)",
    ),
    LoopOption(
        "remove_image", bool, False, "--image", "removeImage", None, _verbs("stop"),
        "also remove the container's image",
    ),
    LoopOption(
        "force", bool, False, "--force", "force", None, _verbs("stop"),
        "also remove a container or image amldebug did not create",
    ),
    # Pull -----------------------------------------------------------------------------------
    LoopOption(
        "image", str, None, "image", "image", None, _verbs("pull"),
        "e.g. myregistry.azurecr.io/azureml/azureml_0123:1",
    ),
    LoopOption(
        "tag", str, DEFAULT_TAG, "--tag", "tag", None, _verbs("pull"),
        f"local tag (default {DEFAULT_TAG})",
    ),
    LoopOption(
        "username", str, None, "--username", "username", None, _verbs("pull"),
        "registry user name", cli_short="-u",
    ),
    LoopOption(
        "password_stdin", bool, False, "--password-stdin", None, None, _verbs("pull"),
        "read the password from standard input",
    ),
    LoopOption(
        "password", str, None, None, "password", None, _verbs("pull"), "registry password"
    ),
    # Invoke ---------------------------------------------------------------------------------
    LoopOption(
        "data", str, None, "--data", "data", None, _verbs("invoke"), "request body",
        metavar="JSON",
    ),
    LoopOption(
        "file", str, None, "--file", "file", None, _verbs("invoke"),
        "file holding the request body (default: sample-request.json)", metavar="FILE",
    ),
    LoopOption(
        "port", int, 8000, "--port", "port", "amldebug.port", _verbs("invoke"),
        "server port on this machine (default: 8000)", check=_port,
    ),
    LoopOption(
        "host", str, "127.0.0.1", "--host", None, None, _verbs("invoke"),
        "server address (default: 127.0.0.1)",
    ),
    LoopOption(
        "path", str, "/score", "--path", None, None, _verbs("invoke"),
        "request path (default: /score)",
    ),
    LoopOption(
        "timeout", float, 300.0, "--timeout", "timeout", None, _verbs("invoke"),
        "seconds to wait for the answer (default: 300, long enough to step through run())",
        metavar="S", check=_positive,
    ),
    LoopOption(
        "sample_from_swagger", bool, False, None, "sampleFromSwagger", None, _verbs("invoke"),
        "write sample-request.json from the server's /swagger.json when there is none",
    ),
)  # fmt: skip


def options_for(verb: str) -> tuple[LoopOption, ...]:
    """The options `verb` takes, in table order (the order of its command-line help)."""
    if verb not in VERBS:
        raise ValueError(f"{verb!r} is not a debug-loop verb")
    return tuple(option for option in OPTIONS if verb in option.verbs)


@dataclass(frozen=True)
class DebugLoopRequest:
    """One debug-loop command as asked, whoever asked: one field per option name (a verb that
    does not take an option leaves it at its neutral value), plus the workspace folder the editor
    resolves settings against. Build one with `request_for`, `request_from_cli` or
    `request_from_lsp`, which fill each verb's own defaults."""

    verb: str
    folder: str | None = None
    workspace_folder: str | None = None  # the editor's; relative setting paths start here
    origin: str = "cli"  # who asked: "cli" or "editor" (messages name options their way)
    given: frozenset[str] = frozenset()  # the options the caller set (not left at the default)
    # The project folder, its workspace folder and the files named, when the caller resolved
    # them already (the editor does, with the settings of that workspace folder).
    target: ProjectTarget | None = None
    entry_script: str | None = None
    conda_file: str | None = None
    steps_file: str | None = None
    models: tuple[str, ...] = ()
    json: bool = False
    quiet: bool = False
    base_image: str | None = None
    tag: str | None = None
    ca_bundle: str | None = None
    resolve: bool = False
    image: str | None = None
    name: str = DEFAULT_NAME
    port: int | None = None
    debug_port: int | None = None
    bind: str = "127.0.0.1"
    mount: bool = True
    wait_for_debugger: bool = False
    gpus: bool = False
    memory: str | None = None
    python: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None
    runtime: str = "auto"
    write_launch_config: bool = False
    wait_for_requests: float = 0.0
    follow: bool = False
    tail: int | None = None
    apply: bool = False
    force: bool = False
    remove_image: bool = False
    username: str | None = None
    password_stdin: bool = False
    password: str | None = None
    data: str | None = None
    file: str | None = None
    host: str = "127.0.0.1"
    path: str = "/score"
    sample_from_swagger: bool = False

    @property
    def server_port(self) -> int:
        return self.port or 8000

    @property
    def debugger_port(self) -> int:
        return self.debug_port or 5678

    def with_values(self, **changes: Any) -> DebugLoopRequest:
        return replace(self, **changes)

    def said(self, name: str) -> str:
        """How the caller names option `name`: `--debug-port` on the command line, `debugPort`
        in the editor."""
        option = next((o for o in options_for(self.verb) if o.name == name), None)
        if option is None:
            return name
        if self.origin == "editor":
            return f"`{option.lsp_key or option.name}`"
        return option.cli_flag or option.name


# Fields that are not options: who asked and where the editor's settings are relative to.
NOT_OPTIONS = frozenset({"verb", "workspace_folder", "origin", "given", "target"})


def _stored(option: LoopOption, value: Any) -> Any:
    """The request's form of a value: tuples for lists, a fresh dict for a mapping."""
    if option.kind is list:
        return tuple(value)
    if option.kind is dict:
        return dict(value)
    return value


def request_for(verb: str, **values: Any) -> DebugLoopRequest:
    """A request for `verb` with its own defaults, `values` (request field names) on top; the
    options among `values` count as given unless `given` says which were."""
    taken = {option.name: option for option in options_for(verb)}
    unknown = set(values) - taken.keys() - NOT_OPTIONS - {"folder"}
    if unknown:
        raise ValueError(f"{verb} takes no {', '.join(sorted(unknown))}")
    filled: dict[str, Any] = {
        name: _stored(option, option.default) for name, option in taken.items()
    }
    filled.update({k: _stored(taken[k], v) if k in taken else v for k, v in values.items()})
    filled["given"] = frozenset(values.get("given", set(values) - NOT_OPTIONS - {"folder"}))
    return DebugLoopRequest(verb=verb, **filled)


# The adapters' ends: parsing lives in option_parsing.py (kept apart to keep this file the table).


def add_cli_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """The argparse arguments of `verb`, from the table (dest = the option's name)."""
    from amldebug.debug_loop.option_parsing import add_cli_arguments as add

    add(parser, verb)


def request_from_cli(verb: str, args: argparse.Namespace) -> DebugLoopRequest:
    """The request the parsed command line asks for; UsageError names the `--flag`."""
    from amldebug.debug_loop.option_parsing import request_from_cli as parse

    return parse(verb, args)


def request_from_lsp(verb: str, options: Mapping[str, Any]) -> DebugLoopRequest:
    """The request an executeCommand options object asks for (camelCase keys, unknown keys
    ignored); UsageError names the `key`. A missing, empty or zero value means the default."""
    from amldebug.debug_loop.option_parsing import request_from_lsp as parse

    return parse(verb, options)


def field_names() -> frozenset[str]:
    return frozenset(f.name for f in fields(DebugLoopRequest))
