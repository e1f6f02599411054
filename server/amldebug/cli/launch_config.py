"""`amldebug launch-config` (write or merge the launch.json attach entry) and `amldebug invoke`
(send a scoring request to the running debug server). Thin adapters over
`containers.launch_config` and `containers.scoring_client`."""

from __future__ import annotations

import argparse
import sys
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
from amldebug.containers.scoring_client import score, server_url
from amldebug.errors import AmlDebugError, UsageError

SAMPLE_REQUEST_NAME = "sample-request.json"


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

    invoke = subparsers.add_parser(
        "invoke",
        help="send a scoring request to the local debug server",
        description=(
            "POST a request to the running server's /score and print the status, the time run() "
            "took on the server, and the body. Without --data or --file, sends "
            f"{SAMPLE_REQUEST_NAME} from the project folder. Exits 1 when the answer is not 2xx."
        ),
    )
    body = invoke.add_mutually_exclusive_group()
    body.add_argument("--data", metavar="JSON", help="request body")
    body.add_argument(
        "--file",
        metavar="FILE",
        help=f"file holding the request body (default: {SAMPLE_REQUEST_NAME})",
    )
    invoke.add_argument(
        "--port", type=int, default=8000, help="server port on this machine (default: 8000)"
    )
    invoke.add_argument("--host", default="127.0.0.1", help="server address (default: 127.0.0.1)")
    invoke.add_argument("--path", default="/score", help="request path (default: /score)")
    invoke.add_argument(
        "--folder",
        default=".",
        metavar="DIR",
        help=f"where to look for {SAMPLE_REQUEST_NAME} (default: .)",
    )
    invoke.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="seconds to wait for the answer (default: 300, long enough to step through run())",
    )
    invoke.set_defaults(func=run_invoke)


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


def _sample_from_server(args: argparse.Namespace, path: Path) -> bool:
    """Write the server's published input sample (inference-schema) to `path`, if it has one."""
    from amldebug.containers.swagger_sample import fetch_sample, write_sample_request

    sample = fetch_sample(args.port, args.host)
    if sample is None:
        return False
    try:
        write_sample_request(path.parent, sample)
    except OSError:
        return False
    return True


def _request_body(args: argparse.Namespace) -> tuple[bytes, str]:
    """The body to send and where it came from (for messages)."""
    if args.data is not None:
        return args.data.encode("utf-8"), "--data"
    if args.file is not None:
        path = Path(args.file)
    else:
        path = Path(args.folder) / SAMPLE_REQUEST_NAME
        if not path.is_file() and _sample_from_server(args, path):
            print(
                f"amldebug: wrote {path} from the server's /swagger.json (run()'s input sample)",
                file=sys.stderr,
            )
        if not path.is_file():
            raise UsageError(
                "No request body: pass --data '{...}' or --file FILE, or put "
                f"{SAMPLE_REQUEST_NAME} in {Path(args.folder).absolute()}."
            )
    try:
        return path.read_bytes(), str(path)
    except OSError as error:
        raise UsageError(f"Cannot read {path}: {error.strerror or error}") from error


def run_invoke(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port number (1-65535).")
    body, source = _request_body(args)
    url = server_url(args.host, args.port, args.path)
    response = score(url, body, timeout=args.timeout)
    timing = [f"{response.elapsed_ms:.0f} ms round trip"]
    if response.server_ms is not None:
        timing.insert(0, f"run() took {response.server_ms} ms on the server")
    print(f"POST {url} ({source}) -> {response.status} {response.reason}: {', '.join(timing)}")
    if response.request_id:
        print(f"request id {response.request_id}")
    print(response.pretty_body())
    if response.ok:
        return 0
    if response.run_failed:
        print("run() raised an exception: read the traceback in the server log (`amldebug logs`).")
    return 1
