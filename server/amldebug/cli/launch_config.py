"""`amldebug launch-config`: write or merge the launch.json attach entry. A thin adapter over
`containers.launch_config` (`amldebug invoke` is a debug-loop verb: cli/containers.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from amldebug.containers.launch_config import (
    DEBUG_HOST,
    debug_configuration,
    merge_launch_config,
)
from amldebug.containers.launch_json_file import (
    launch_json_path,
    read_launch_json,
    write_launch_config,
)
from amldebug.errors import AmlDebugError, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    launch = subparsers.add_parser(
        "launch-config",
        help="write or merge the .vscode/launch.json entry that attaches the debugger",
        description=(
            "Add the 'Azure ML: Docker Debug' attach configuration (or 'Azure ML: Local Process "
            "Debug' with --runtime process) to DIR/.vscode/launch.json. Comments and other "
            "configurations are kept; an existing entry of ours is updated in place."
        ),
    )
    launch.add_argument(
        "folder", nargs="?", default=".", metavar="DIR", help="project folder (default: .)"
    )
    launch.add_argument(
        "--debug-port", type=int, default=5678, help="debugger port on this machine (default: 5678)"
    )
    launch.add_argument(
        "--runtime",
        choices=("docker", "process"),
        default="docker",
        help="which debug runtime the entry attaches to (default: docker)",
    )
    launch.add_argument(
        "--host",
        default=DEBUG_HOST,
        help=f"host the editor connects to (default: {DEBUG_HOST}, where the ports are published)",
    )
    launch.add_argument(
        "--dry-run", action="store_true", help="print the new file instead of writing it"
    )
    launch.set_defaults(func=run_launch_config)


def run_launch_config(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder.")
    if not 0 < args.debug_port < 65536:
        raise UsageError(f"--debug-port {args.debug_port} is not a port number (1-65535).")
    configuration = debug_configuration(args.runtime, args.debug_port, args.host)
    name = configuration["name"]
    if args.dry_run:
        path = launch_json_path(folder)
        _, existing_bytes = read_launch_json(folder)
        existing = (
            existing_bytes.decode("utf-8", errors="replace") if existing_bytes is not None else None
        )
        edit = merge_launch_config(existing, configuration)
        if edit.error is not None:
            raise AmlDebugError(
                f"{path}:{edit.error.line}:{edit.error.column}: cannot parse launch.json: "
                f"{edit.error.message}."
            )
        print(edit.text, end="")
        return 0
    result = write_launch_config(folder, configuration)
    if not result.changed:
        print(f"'{name}' in {result.path} is already up to date.")
    elif result.created:
        print(f"Created {result.path} with '{name}' (port {args.debug_port}).")
    elif result.updated:
        print(f"Updated '{name}' in {result.path} (port {args.debug_port}).")
    else:
        print(f"Added '{name}' to {result.path} (port {args.debug_port}).")
    return 0
