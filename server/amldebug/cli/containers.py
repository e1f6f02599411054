"""CLI verbs of the debug loop: build, run, up, update, reload, logs, shell, commit, sync, stop,
model-path, pull, ps. Thin: options in, engine calls (amldebug.containers), text out.

Progress and streamed logs go to stderr; results go to stdout (`--json` where a script wants them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amldebug.cli.container_report import (
    TerminalReporter,
    crash_exit,
    emit,
    model_path_command,
    print_build_notes,
    print_ready,
    ps_command,
    report_build_failure,
    run_result_json,
)
from amldebug.containers.defaults import DEFAULT_BASE_IMAGE, DEFAULT_NAME, DEFAULT_TAG, RUNTIMES
from amldebug.errors import AmlDebugError, UsageError
from amldebug.progress import CancelToken
from amldebug.project import CONTAINER_APP_ROOT, Project, discover_project

if TYPE_CHECKING:
    from amldebug.containers.dockerfile import BuildOptions
    from amldebug.containers.run import RunOptions


def register(subparsers: argparse._SubParsersAction) -> None:

    build = subparsers.add_parser("build", help="build the debug image for a project")
    _add_project_options(build)
    _add_build_options(build)
    build.set_defaults(func=build_command)

    run = subparsers.add_parser("run", help="run the debug container and wait until it answers")
    _add_project_options(run)
    _add_run_options(run, image=True)
    run.set_defaults(func=run_command)

    up_parser = subparsers.add_parser(
        "up", help="build, run, wait until ready and write the launch.json attach entry"
    )
    _add_project_options(up_parser)
    _add_build_options(up_parser)
    _add_run_options(up_parser, image=False)
    up_parser.add_argument(
        "--no-launch-config", action="store_true", help="do not write .vscode/launch.json"
    )
    up_parser.set_defaults(func=up_command)

    update = subparsers.add_parser(
        "update", help="rebuild after a model or environment change and restart the container"
    )
    _add_project_options(update)
    _add_build_options(update)
    _add_run_options(update, image=False)
    update.set_defaults(func=update_command, no_launch_config=True)

    reload = subparsers.add_parser("reload", help="serve the edited entry script without a rebuild")
    reload.add_argument("folder", nargs="?", default=".", help="the project (for mapping errors)")
    _add_name(reload)
    reload.add_argument("--timeout", type=float, default=60.0)
    reload.set_defaults(func=reload_command)

    logs = subparsers.add_parser("logs", help="print the container's log")
    _add_name(logs)
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines")
    logs.add_argument("--tail", type=int, default=None, help="only the last N lines")
    logs.set_defaults(func=logs_command)

    shell = subparsers.add_parser(
        "shell", help="open a shell in the container (in /var/azureml-app)"
    )
    _add_name(shell)
    shell.set_defaults(func=shell_command)

    commit = subparsers.add_parser("commit", help="save the container as a new image tag")
    _add_name(commit)
    commit.add_argument(
        "--tag",
        help="image tag (default: proj:N+1 when amldebug built the running proj:N, else the next "
        "debug:N)",
    )
    commit.set_defaults(func=commit_command)

    sync = subparsers.add_parser(
        "sync", help="compare the container's /var/azureml-app with the local folder"
    )
    sync.add_argument("folder", nargs="?", default=".")
    _add_name(sync)
    sync.add_argument("--apply", action="store_true", help="bring container-side changes in")
    sync.add_argument(
        "--force",
        action="store_true",
        help="also apply files changed on both sides (the container's copy wins)",
    )
    sync.add_argument("--json", action="store_true", help="print the result as JSON")
    sync.set_defaults(func=sync_command)

    stop = subparsers.add_parser("stop", help="stop and remove the debug container")
    _add_name(stop)
    stop.add_argument("--image", action="store_true", help="also remove the container's image")
    stop.add_argument(
        "--force",
        action="store_true",
        help="also remove a container or image amldebug did not create",
    )
    stop.set_defaults(func=stop_command)

    model = subparsers.add_parser(
        "model-path", help="where the entry script finds the model inside the container"
    )
    _add_name(model)
    model.add_argument("--json", action="store_true")
    model.set_defaults(func=model_path_command)

    pull = subparsers.add_parser("pull", help="log in to a registry, pull an image and tag it")
    pull.add_argument("image", help="e.g. myregistry.azurecr.io/azureml/azureml_0123:1")
    pull.add_argument("--tag", default=DEFAULT_TAG, help=f"local tag (default {DEFAULT_TAG})")
    pull.add_argument("--username", "-u")
    pull.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    pull.set_defaults(func=pull_command)

    ps = subparsers.add_parser("ps", help="list the debug containers amldebug started")
    ps.add_argument("--json", action="store_true")
    ps.set_defaults(func=ps_command)


def _add_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name", default=DEFAULT_NAME, help=f"container name (default {DEFAULT_NAME})"
    )


def _add_project_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", default=".", help="the project folder (default .)")
    parser.add_argument("--entry-script", help="the entry script (default: discovered)")
    parser.add_argument("--conda-file", help="the conda environment file (default: discovered)")
    parser.add_argument("--steps", dest="steps_file", help="a Dockerfile.steps to append")
    parser.add_argument(
        "--model", dest="models", action="append", default=[], help="a model file or folder"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="do not stream the build log")


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-image",
        help=f"image to build FROM (default: the deployment's, else {DEFAULT_BASE_IMAGE})",
    )
    parser.add_argument(
        "--tag", default=DEFAULT_TAG, help=f"debug image tag (default {DEFAULT_TAG})"
    )
    parser.add_argument(
        "--ca-bundle",
        help="CA bundle for pip/conda behind a TLS-intercepting proxy, used during the build only: "
        "FILE, 'auto' (this machine's bundle) or 'none' (default: $PIP_CERT when set)",
    )


def _add_run_options(parser: argparse.ArgumentParser, *, image: bool) -> None:
    if image:
        parser.add_argument(
            "--image", default=DEFAULT_TAG, help=f"image to run (default {DEFAULT_TAG})"
        )
    _add_name(parser)
    parser.add_argument("--port", type=int, help="host port for 5001 (default 8000)")
    parser.add_argument("--debug-port", type=int, help="host port for debugpy (default 5678)")
    parser.add_argument(
        "--bind",
        default="127.0.0.1",
        type=_bind_address,
        help="host address to publish on (default 127.0.0.1: debugpy runs any code sent to it)",
    )
    parser.add_argument(
        "--no-mount", action="store_true", help="run the code baked into the image, not the folder"
    )
    parser.add_argument(
        "--wait-for-debugger", action="store_true", help="block init() until a debugger attaches"
    )
    parser.add_argument(
        "--gpus", action="store_true", help="pass every GPU through (needs the NVIDIA runtime)"
    )
    parser.add_argument("--env", action="append", default=[], metavar="K=V")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for ready")
    parser.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default="auto",
        help="docker, process (no Docker: the server as a local process) or auto",
    )


def _project(args: argparse.Namespace) -> Project:
    folder = Path(args.folder)
    if not folder.exists():
        raise UsageError(f"{folder} does not exist.")
    return discover_project(
        folder,
        entry_script=getattr(args, "entry_script", None),
        conda_file=getattr(args, "conda_file", None),
        steps_file=getattr(args, "steps_file", None),
        model_paths=getattr(args, "models", []) or [],
        base_image=getattr(args, "base_image", None),
    )


def _build_options(args: argparse.Namespace, project: Project) -> BuildOptions:
    from amldebug.containers.build import build_options_from_environment

    return build_options_from_environment(
        base_image=args.base_image or project.base_image or DEFAULT_BASE_IMAGE,
        tag=args.tag,
        ca_bundle=args.ca_bundle,
    )


def _run_options(args: argparse.Namespace, image: str) -> RunOptions:
    from amldebug.containers.run import RunOptions

    env: dict[str, str] = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--env wants K=V, not {item!r}.")
        env[key] = value
    return RunOptions(
        image=image,
        name=args.name,
        port=args.port or 8000,
        debug_port=args.debug_port or 5678,
        bind=args.bind,
        mount=not args.no_mount,
        wait_for_debugger=args.wait_for_debugger,
        env=env,
        timeout=args.timeout,
        gpus=args.gpus,
    )


def _print_image_imports(project: Project) -> None:
    """AML120 lines from the probe of the image just built (what the server will fail to import)."""
    from amldebug.containers.image_imports import report_lines

    for line in report_lines(project):
        print(line, file=sys.stderr)


def build_command(args: argparse.Namespace) -> int:
    from amldebug.containers.build import BuildFailed, build_debug_image
    from amldebug.containers.docker_engine import connect

    project = _project(args)
    options = _build_options(args, project)
    engine = connect()
    try:
        result = build_debug_image(
            project, options, engine, reporter=TerminalReporter(show_log=not args.quiet)
        )
    except BuildFailed as error:
        if args.quiet:
            report_build_failure(error)
        raise
    from amldebug.containers.image_imports import check_after_build

    check_after_build(engine, result.image, result.image_id, project)
    _print_image_imports(project)
    print_build_notes(result.plan.untranslated, project)
    cached = (
        "package layers reused from cache" if result.package_steps_cached else "packages installed"
    )
    if args.json:
        emit(
            args,
            {
                "image": result.image,
                "imageId": result.image_id,
                "seconds": round(result.seconds, 2),
                "packageLayersCached": result.package_steps_cached,
                "rebuiltSteps": list(result.rebuilt_steps),
                "notes": list(result.notes),
            },
        )
    else:
        print(f"Built {result.image} in {result.seconds:.1f} s ({cached}).")
    return 0


def run_command(args: argparse.Namespace) -> int:
    from amldebug.containers.debug_loop import choose_runtime, run_in_process
    from amldebug.containers.run import ContainerCrashed, run_debug_container

    project = _project(args)
    options = _run_options(args, args.image)
    choice = choose_runtime(args.runtime)
    reporter = TerminalReporter(show_log=not args.quiet)
    reporter.step(f"Runtime: {choice.runtime} ({choice.reason})")
    try:
        if choice.runtime == "docker":
            assert choice.engine is not None
            result: Any = run_debug_container(project, options, choice.engine, reporter=reporter)
        else:
            result = run_in_process(project, options, reporter=reporter, cancel=CancelToken())
    except ContainerCrashed as error:
        return crash_exit(error)
    if args.json:
        emit(args, run_result_json(result, choice.runtime, choice.reason))
    else:
        print_ready(None, result, project, choice.runtime, choice.reason)
    return 0


def up_command(args: argparse.Namespace) -> int:
    from amldebug.containers.build import BuildFailed
    from amldebug.containers.debug_loop import up
    from amldebug.containers.run import ContainerCrashed

    project = _project(args)
    for problem in project.problems:
        print(f"amldebug: {problem}", file=sys.stderr)
    build_options = _build_options(args, project)
    run_options = _run_options(args, build_options.tag)
    reporter = TerminalReporter(show_log=not args.quiet)
    try:
        result = up(
            project,
            build_options,
            run_options,
            runtime=args.runtime,
            write_launch_json=not args.no_launch_config,
            reporter=reporter,
        )
    except BuildFailed as error:
        if args.quiet:
            report_build_failure(error)
        raise
    except ContainerCrashed as error:
        _print_image_imports(project)
        return crash_exit(error)
    if result.build is not None:
        _print_image_imports(project)
    run = result.run if result.run is not None else result.process
    if args.json:
        data = run_result_json(run, result.runtime, result.reason)
        if result.build is not None:
            data["build"] = {
                "image": result.build.image,
                "seconds": round(result.build.seconds, 2),
                "packageLayersCached": result.build.package_steps_cached,
                "notes": list(result.build.notes),
            }
        data["launchConfig"] = str(result.launch_config) if result.launch_config else None
        emit(args, data)
    else:
        if result.build is not None:
            cached = (
                "package layers from cache"
                if result.build.package_steps_cached
                else "packages installed"
            )
            print(f"Built {result.build.image} in {result.build.seconds:.1f} s ({cached}).")
            print_build_notes(result.build.plan.untranslated, project)
        print_ready(result, run, project, result.runtime, result.reason)
    return 0


def update_command(args: argparse.Namespace) -> int:
    """`up` that keeps the running container's ports unless new ones are given."""
    from amldebug.containers.docker_engine import connect

    engine = connect()
    existing = engine.find_container(args.name)
    if existing is None:
        print(
            f"amldebug: no container '{args.name}' runs yet; starting a new one.", file=sys.stderr
        )
    else:
        labels = existing.labels or {}
        if args.port is None and labels.get("amldebug.port", "").isdigit():
            args.port = int(labels["amldebug.port"])
        if args.debug_port is None and labels.get("amldebug.debug-port", "").isdigit():
            args.debug_port = int(labels["amldebug.debug-port"])
    args.runtime = "docker"
    return up_command(args)


def reload_command(args: argparse.Namespace) -> int:
    from amldebug.containers.debug_loop import find_process_server, reload_process_server
    from amldebug.containers.docker_engine import connect
    from amldebug.containers.run import ContainerCrashed, reload_container

    if find_process_server(args.name) is not None:
        try:
            seconds = reload_process_server(args.name, reporter=TerminalReporter(show_log=False))
        except ContainerCrashed as error:
            return crash_exit(error)
        print(f"Restarted the local inference server {args.name} in {seconds:.2f} s.")
        return 0
    engine = connect()
    project = discover_project(args.folder) if Path(args.folder).exists() else None
    try:
        result = reload_container(engine, args.name, project=project, timeout=args.timeout)
    except ContainerCrashed as error:
        return crash_exit(error)
    print(
        f"Reloaded {args.name} in {result.seconds:.2f} s (new worker; attach the debugger again)."
    )
    return 0


def logs_command(args: argparse.Namespace) -> int:
    from amldebug.containers.docker_engine import connect
    from amldebug.containers.run import container_logs, follow_logs

    if _process_server(args.name) is not None:
        from amldebug.containers.process_runtime import (
            follow_process_server_log,
            read_process_server_log,
        )

        if not args.follow:
            sys.stdout.write(read_process_server_log(args.name, args.tail))
            return 0
        try:
            for line in follow_process_server_log(args.name, tail=args.tail or 10):
                print(line, flush=True)
        except KeyboardInterrupt:
            pass
        return 0
    engine = connect()
    if args.follow:
        token = CancelToken()
        try:
            follow_logs(engine, args.name, _StdoutLines(), token, tail=args.tail)
        except KeyboardInterrupt:
            token.cancel()
        return 0
    sys.stdout.write(container_logs(engine, args.name, tail=args.tail))
    return 0


class _StdoutLines:
    def step(self, message: str, percentage: int | None = None) -> None:
        pass

    def log(self, line: str) -> None:
        print(line, flush=True)


def shell_command(args: argparse.Namespace) -> int:
    from amldebug.containers.docker_engine import connect

    engine = connect()
    engine.container(args.name)  # a clear message when it does not exist
    docker = shutil.which("docker")
    if docker is None:
        raise AmlDebugError(
            "An interactive shell needs the docker command-line client, which is not on PATH.",
            hint=f"Install it, or run: amldebug logs --name {args.name}",
        )
    argv = [docker, "exec", "-it", "-w", CONTAINER_APP_ROOT, args.name, "/bin/sh", "-c"]
    argv.append("if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi")
    if not sys.stdin.isatty():
        argv.remove("-it")
        argv.insert(2, "-i")
    os.execv(docker, argv)
    return 0  # not reached


def commit_command(args: argparse.Namespace) -> int:
    from amldebug.containers.docker_engine import connect
    from amldebug.containers.run import commit_container

    engine = connect()
    image = commit_container(engine, args.name, args.tag)
    print(f"Committed {args.name} as {image}. Run it with: amldebug run --image {image} --no-mount")
    return 0


def sync_command(args: argparse.Namespace) -> int:
    from amldebug.containers.docker_engine import connect
    from amldebug.containers.sync import sync_container

    engine = connect()
    project = discover_project(args.folder)
    result = sync_container(engine, args.name, project, apply=args.apply, force=args.force)
    if args.json:
        emit(
            args,
            {
                "changed": [{"path": c.path, "status": c.status} for c in result.changed],
                "applied": list(result.applied),
                "skipped": list(result.skipped),
                "refused": list(result.refused),
            },
        )
        return 0
    if not result.changed:
        print(f"{CONTAINER_APP_ROOT} in {args.name} matches {project.root}.")
        return 0
    for change in result.changed:
        print(f"{change.status:15} {change.path}")
    for path in result.applied:
        print(f"applied         {path}")
    for path in result.skipped:
        print(f"skipped         {path} (changed on both sides; --force takes the container's)")
    for problem in result.refused:
        print(f"refused         {problem}")
    if not args.apply and any(
        c.status in ("modified", "container-only", "conflict") for c in result.changed
    ):
        print("Bring the container's changes in with: amldebug sync --apply")
    return 0


def _process_server(name: str) -> Any:
    from amldebug.containers.debug_loop import find_process_server

    return find_process_server(name)


def stop_command(args: argparse.Namespace) -> int:
    from amldebug.containers.docker_engine import EngineUnavailable, connect
    from amldebug.containers.stop import stop_container

    stopped_process = False
    if _process_server(args.name) is not None:
        from amldebug.containers.process_runtime import stop_process_server

        stopped_process = stop_process_server(args.name)
        print(f"Stopped the local inference server {args.name}.")
    try:
        engine = connect()
        if stopped_process and engine.find_container(args.name) is None:
            return 0
    except EngineUnavailable:
        if stopped_process:
            return 0
        raise
    result = stop_container(engine, args.name, remove_image=args.image, force=args.force)
    if result.stopped:
        print(f"Stopped and removed {args.name}.")
    if result.removed_image:
        print(f"Removed the image {result.removed_image}.")
    if result.kept_image:
        print(result.kept_image)
    return 0


def pull_command(args: argparse.Namespace) -> int:
    from amldebug.containers.docker_engine import connect
    from amldebug.containers.run import pull_image

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif args.username:
        raise UsageError("--username needs --password-stdin (the password is read from stdin).")
    engine = connect()
    local = pull_image(
        engine,
        args.image,
        tag=args.tag,
        username=args.username,
        password=password,
        reporter=TerminalReporter(),
    )
    print(f"Pulled {args.image} as {local}. Run it with: amldebug run --image {local}")
    return 0


def _bind_address(text: str) -> str:
    from amldebug.containers.ports import parse_bind_address

    try:
        return parse_bind_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
