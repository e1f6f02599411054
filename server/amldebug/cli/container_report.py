"""What the debug-loop verbs print (progress, the ready banner, build notes, --json results), and
the two read-only verbs that only report: ps and model-path."""

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
    from amldebug.containers.debug_loop import UpResult
    from amldebug.containers.dockerfile import Untranslated
    from amldebug.containers.run import ContainerCrashed

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


def print_ready(
    result: UpResult | None, run: Any, project: Project, runtime: str, why: str
) -> None:

    url = getattr(run, "url", "")
    name = getattr(run, "name", None)
    debug_port = getattr(run, "debug_port", None)
    port = getattr(run, "port", None)
    where = (
        f"container {name}, image {getattr(run, 'image', '?')}"
        if runtime == "docker"
        else "local process"
    )
    print(f"Ready: {url} ({where}; runtime {runtime}: {why})")
    if getattr(run, "ready", True) is False:
        print(f"The server waits for a debugger on 127.0.0.1:{debug_port} before init().")
    print(f"Debugger: debugpy listens on {url.split('://')[-1].split(':')[0]}:{debug_port}")
    if result is not None and result.launch_config is not None:
        state = "written" if result.launch_config_changed else "already up to date"
        print(f"launch.json: {project.relative(result.launch_config)} {state}")
    configuration = (
        "Azure ML: Docker Debug" if runtime == "docker" else "Azure ML: Local Process Debug"
    )
    name_option = f" --name {name}" if name and name != DEFAULT_NAME else ""
    sample = (
        " --file sample-request.json" if (project.root / "sample-request.json").is_file() else ""
    )
    print("Next:")
    print(f'  attach:  VS Code > Run and Debug > "{configuration}" (F5)')
    print(f"  request: amldebug invoke --port {port}{sample}")
    if runtime == "docker":
        print(f"  edit score.py, then: amldebug reload{name_option}")
        print(f"  logs: amldebug logs{name_option}    stop: amldebug stop{name_option}")


def run_result_json(run: Any, runtime: str, why: str) -> dict[str, Any]:
    return {
        "runtime": runtime,
        "reason": why,
        "name": getattr(run, "name", None),
        "image": getattr(run, "image", None),
        "url": getattr(run, "url", None),
        "port": getattr(run, "port", None),
        "debugPort": getattr(run, "debug_port", None),
        "ready": getattr(run, "ready", True),
        "seconds": round(float(getattr(run, "seconds", 0.0) or 0.0), 2),
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


def model_path_command(args: argparse.Namespace) -> int:
    from amldebug.containers.debug_loop import find_process_server
    from amldebug.containers.docker_engine import connect
    from amldebug.containers.process_runtime import process_model_path
    from amldebug.containers.run import model_path

    if find_process_server(args.name) is not None:
        result = process_model_path(args.name)
    else:
        result = model_path(connect(), args.name)
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
            f"AZUREML_MODEL_DIR is not set in {args.name}: "
            "Model.get_model_path() has nothing to find."
        )
        return 1
    print(f"AZUREML_MODEL_DIR={result.model_dir}")
    if not result.exists:
        print(f"  (that folder does not exist in {args.name})")
        return 1
    for path, size in result.tree:
        print(f"  {path}  ({size} bytes)")
    if not result.tree:
        print("  (empty)")
    print("In score.py: os.path.join(os.getenv('AZUREML_MODEL_DIR'), '<file above>')")
    return 0


def ps_command(args: argparse.Namespace) -> int:
    from amldebug.containers.docker_engine import EngineUnavailable, connect
    from amldebug.containers.process_runtime import list_process_servers, process_server_status
    from amldebug.containers.run import ContainerStatus, list_debug_containers

    processes = [process_server_status(server.name) for server in list_process_servers()]
    rows: list[Any] = [
        ContainerStatus(
            name=status.name,
            state=status.state,
            port=status.server.port if status.server else None,
            debug_port=status.server.debug_port if status.server else None,
            image="(local process)",
            project=status.server.project_root if status.server else None,
        )
        for status in processes
    ]
    try:
        rows += list_debug_containers(connect())
    except EngineUnavailable as error:
        if not rows and not args.json:
            raise
        print(f"amldebug: {error.message}; listing local processes only.", file=sys.stderr)
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], indent=2))
        return 0
    if not rows:
        print("No amldebug containers. Start one with `amldebug up`.")
        return 0
    print(f"{'NAME':16} {'STATE':9} {'PORT':6} {'DEBUG':6} {'IMAGE':24} PROJECT")
    for row in rows:
        print(
            f"{row.name:16} {row.state:9} {row.port or '-'!s:6} {row.debug_port or '-'!s:6} "
            f"{(row.image or '-')[:24]:24} {row.project or '-'}"
        )
    return 0
