"""What the debug-loop verbs print (progress, the ready banner, build notes, --json results), and
the two read-only verbs that only report: ps and model-path. Results come typed from the
application layer (debug_loop/)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from amldebug.containers.defaults import DEFAULT_NAME
from amldebug.project import Project

if TYPE_CHECKING:
    from amldebug.containers.build import BuildFailed
    from amldebug.containers.dockerfile import Untranslated
    from amldebug.containers.run import ContainerCrashed
    from amldebug.debug_loop.runtime import RuntimeChoice, ServerState
    from amldebug.debug_loop.start import StartOutcome

_PLAN_NOTE_MARK = " is left out of the debug image: "


class TerminalReporter:
    """Phases as `==> message` and streamed log lines, on stderr."""

    def __init__(self, *, show_log: bool = True) -> None:
        self.show_log = show_log

    def step(self, message: str, percentage: int | None = None) -> None:
        if message.startswith("Step "):
            return  # the build log shows the step line itself
        print(f"==> {message}", file=sys.stderr, flush=True)

    def log(self, line: str) -> None:
        # The plan's notes on left-out conda entries are said once, after the build
        # (print_build_notes), with the conda file's path as the user sees it.
        if self.show_log and not (line.startswith("amldebug: ") and _PLAN_NOTE_MARK in line):
            print(line, file=sys.stderr, flush=True)


def emit(args: argparse.Namespace, data: dict[str, Any]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))


def report_build_failure(error: BuildFailed) -> None:
    """With --quiet the log was not streamed: show what the failing step printed."""
    tail = list(error.log_tail)
    last_step = max((i for i, line in enumerate(tail) if line.startswith("Step ")), default=-1)
    noise = (" ---> ", "Removing intermediate container", "The command '")
    shown = [line for line in tail[last_step + 1 :] if not line.startswith(noise)]
    for line in shown[-20:]:
        print(line, file=sys.stderr)


def runtime_reason(choice: RuntimeChoice) -> str:
    """Why this runtime, in the command line's words."""
    if choice.why == "asked":
        return f"--runtime {choice.name} was asked for"
    return choice.reason()


def print_ready(outcome: StartOutcome) -> None:
    server, project = outcome.server, outcome.project
    runtime = server.runtime
    url = server.url or ""
    where = (
        f"container {server.name}, image {server.image or '?'}"
        if runtime == "docker"
        else "local process"
    )
    print(f"Ready: {url} ({where}; runtime {runtime}: {runtime_reason(outcome.choice)})")
    if server.state == "waiting-for-debugger":
        print(f"The server waits for a debugger on 127.0.0.1:{server.debug_port} before init().")
    print(f"Debugger: debugpy listens on {url.split('://')[-1].split(':')[0]}:{server.debug_port}")
    if outcome.launch_config is not None:
        state = "written" if outcome.launch_config_changed else "already up to date"
        print(f"launch.json: {project.relative(outcome.launch_config)} {state}")
    configuration = (
        "Azure ML: Docker Debug" if runtime == "docker" else "Azure ML: Local Process Debug"
    )
    name_option = f" --name {server.name}" if server.name != DEFAULT_NAME else ""
    sample = (
        " --file sample-request.json" if (project.root / "sample-request.json").is_file() else ""
    )
    print("Next:")
    print(f'  attach:  VS Code > Run and Debug > "{configuration}" (F5)')
    print(f"  request: amldebug invoke --port {server.scoring_port}{sample}")
    if runtime == "docker":
        print(f"  edit score.py, then: amldebug reload{name_option}")
        print(f"  logs: amldebug logs{name_option}    stop: amldebug stop{name_option}")


def start_result_json(outcome: StartOutcome) -> dict[str, Any]:
    server = outcome.server
    return {
        "runtime": server.runtime,
        "reason": runtime_reason(outcome.choice),
        "name": server.name,
        "image": server.image,
        "url": server.url,
        "port": server.scoring_port,
        "debugPort": server.debug_port,
        "ready": server.ready,
        "seconds": round(server.seconds or 0.0, 2),
    }


def crash_exit(error: ContainerCrashed) -> int:
    print(f"amldebug: {error.message}", file=sys.stderr)
    if error.hint:
        print(error.hint, file=sys.stderr)
    return 3


def print_build_notes(untranslated: Iterable[Untranslated], project: Project) -> None:
    from amldebug.containers.dockerfile import build_notes

    for note in build_notes(untranslated, project):
        print(f"amldebug: {note}", file=sys.stderr)


def print_image_imports(project: Project) -> None:
    """AML120 lines from the probe of the image just built (what the server will fail to import)."""
    from amldebug.containers.image_imports import report_lines

    for line in report_lines(project):
        print(line, file=sys.stderr)


def model_path_command(args: argparse.Namespace) -> int:
    from amldebug.debug_loop.options import request_from_cli
    from amldebug.debug_loop.server_verbs import model_path

    request = request_from_cli("model-path", args)
    result = model_path(request)
    if args.json:
        emit(
            args,
            {
                "modelDir": result.model_dir,
                "exists": result.exists,
                "tree": [p for p, _ in result.tree],
            },
        )
        return 0
    if not result.model_dir:
        print(
            f"AZUREML_MODEL_DIR is not set in {request.name}: "
            "Model.get_model_path() has nothing to find."
        )
        return 1
    print(f"AZUREML_MODEL_DIR={result.model_dir}")
    if not result.exists:
        print(f"  (that folder does not exist in {request.name})")
        return 1
    for path, size in result.tree:
        print(f"  {path}  ({size} bytes)")
    if not result.tree:
        print("  (empty)")
    print("In score.py: os.path.join(os.getenv('AZUREML_MODEL_DIR'), '<file above>')")
    return 0


def ps_command(args: argparse.Namespace) -> int:
    from amldebug.debug_loop.server_verbs import servers

    rows, engine_error = servers()
    if engine_error is not None:
        if not rows and not args.json:
            raise engine_error
        print(f"amldebug: {engine_error.message}; listing local processes only.", file=sys.stderr)
    if args.json:
        print(json.dumps([_ps_row(row) for row in rows], indent=2))
        return 0
    if not rows:
        print("No amldebug containers. Start one with `amldebug up`.")
        return 0
    print(f"{'NAME':16} {'STATE':9} {'PORT':6} {'DEBUG':6} {'IMAGE':24} PROJECT")
    for row in rows:
        image = row.image or ("(local process)" if row.runtime == "process" else "-")
        print(
            f"{row.name:16} {row.state:9} {row.scoring_port or '-'!s:6} "
            f"{row.debug_port or '-'!s:6} {image[:24]:24} {row.project or '-'}"
        )
    return 0


def _ps_row(server: ServerState) -> dict[str, Any]:
    return {
        "name": server.name,
        "state": server.state,
        "port": server.scoring_port,
        "debug_port": server.debug_port,
        "image": server.image or ("(local process)" if server.runtime == "process" else None),
        "project": server.project,
        "exit_code": server.exit_code,
        "runtime": server.runtime,
    }
