"""CLI verbs of the debug loop: build, run, up, update, reload, logs, shell, commit, sync, stop,
model-path, pull, ps, invoke. Parsing and printing only: the flags come from the option table
(debug_loop/options.py), the work from the application layer (debug_loop/), results are printed
by container_report.py.

Progress and streamed logs go to stderr; results go to stdout (`--json` where a script wants them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable

from amldebug.cli.container_report import (
    TerminalReporter,
    crash_exit,
    emit,
    model_path_command,
    print_build_notes,
    print_image_imports,
    print_ready,
    ps_command,
    report_build_failure,
    start_result_json,
)
from amldebug.debug_loop.options import DebugLoopRequest, add_cli_arguments, request_from_cli
from amldebug.errors import AmlDebugError, UsageError
from amldebug.progress import CancelToken
from amldebug.project import CONTAINER_APP_ROOT

Command = Callable[[argparse.Namespace], int]


def _request(args: argparse.Namespace) -> DebugLoopRequest:
    return request_from_cli(args.verb, args)


def build_command(args: argparse.Namespace) -> int:
    from amldebug.containers.build import BuildFailed
    from amldebug.debug_loop.start import build

    request = _request(args)
    try:
        outcome = build(request, reporter=TerminalReporter(show_log=not request.quiet))
    except BuildFailed as error:
        if request.quiet:
            report_build_failure(error)
        raise
    result = outcome.build
    print_image_imports(outcome.project)
    print_build_notes(result.plan.untranslated, outcome.project)
    if request.json:
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
        cached = (
            "package layers reused from cache"
            if result.package_steps_cached
            else "packages installed"
        )
        print(f"Built {result.image} in {result.seconds:.1f} s ({cached}).")
    return 0


def run_command(args: argparse.Namespace) -> int:
    from amldebug.containers.run import ContainerCrashed
    from amldebug.debug_loop.start import run

    request = _request(args)
    try:
        outcome = run(request, reporter=TerminalReporter(show_log=not request.quiet))
    except ContainerCrashed as error:
        return crash_exit(error)
    for note in outcome.notes:
        print(f"amldebug: {note}", file=sys.stderr)
    if request.json:
        emit(args, start_result_json(outcome))
    else:
        print_ready(outcome)
    return 0


def up_command(args: argparse.Namespace) -> int:
    return _up_or_update(args)


def update_command(args: argparse.Namespace) -> int:
    """`up` that keeps how the running container was started unless new options are given."""
    return _up_or_update(args)


def _up_or_update(args: argparse.Namespace) -> int:
    from amldebug.containers.build import BuildFailed
    from amldebug.containers.run import ContainerCrashed
    from amldebug.debug_loop.start import up, update
    from amldebug.debug_loop.target import project_for

    request = _request(args)
    project = project_for(request)
    for problem in project.problems:
        print(f"amldebug: {problem}", file=sys.stderr)
    reporter = TerminalReporter(show_log=not request.quiet)
    use_case = update if request.verb == "update" else up
    try:
        outcome = use_case(request, reporter=reporter, project=project)
    except BuildFailed as error:
        if request.quiet:
            report_build_failure(error)
        raise
    except ContainerCrashed as error:
        print_image_imports(project)
        return crash_exit(error)
    for note in outcome.notes:
        print(f"amldebug: {note}", file=sys.stderr)
    if outcome.build is not None:
        print_image_imports(project)
    if request.json:
        data = start_result_json(outcome)
        if outcome.build is not None:
            data["build"] = {
                "image": outcome.build.image,
                "seconds": round(outcome.build.seconds, 2),
                "packageLayersCached": outcome.build.package_steps_cached,
                "notes": list(outcome.build.notes),
            }
        data["launchConfig"] = str(outcome.launch_config) if outcome.launch_config else None
        emit(args, data)
        return 0
    if outcome.build is not None:
        cached = (
            "package layers from cache"
            if outcome.build.package_steps_cached
            else "packages installed"
        )
        print(f"Built {outcome.build.image} in {outcome.build.seconds:.1f} s ({cached}).")
        print_build_notes(outcome.build.plan.untranslated, project)
    print_ready(outcome)
    return 0


def reload_command(args: argparse.Namespace) -> int:
    from amldebug.containers.run import ContainerCrashed
    from amldebug.debug_loop.server_verbs import reload

    request = _request(args)
    try:
        outcome = reload(request, reporter=TerminalReporter(show_log=False))
    except ContainerCrashed as error:
        return crash_exit(error)
    if outcome.runtime == "process":
        print(f"Restarted the local inference server {request.name} in {outcome.seconds:.2f} s.")
    else:
        print(
            f"Reloaded {request.name} in {outcome.seconds:.2f} s "
            "(new worker; attach the debugger again)."
        )
    return 0


def logs_command(args: argparse.Namespace) -> int:
    from amldebug.debug_loop.server_verbs import follow_logs, logs

    request = _request(args)
    if not request.follow:
        sys.stdout.write(logs(request))
        return 0
    token = CancelToken()
    try:
        follow_logs(request, token, lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        token.cancel()
    return 0


def shell_command(args: argparse.Namespace) -> int:
    from amldebug.containers.docker_engine import connect

    name = _request(args).name
    engine = connect()
    engine.container(name)  # a clear message when it does not exist
    docker = shutil.which("docker")
    if docker is None:
        raise AmlDebugError(
            "An interactive shell needs the docker command-line client, which is not on PATH.",
            hint=f"Install it, or run: amldebug logs --name {name}",
        )
    argv = [docker, "exec", "-it", "-w", CONTAINER_APP_ROOT, name, "/bin/sh", "-c"]
    argv.append("if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi")
    if not sys.stdin.isatty():
        argv.remove("-it")
        argv.insert(2, "-i")
    os.execv(docker, argv)
    return 0  # not reached


def commit_command(args: argparse.Namespace) -> int:
    from amldebug.debug_loop.server_verbs import commit

    request = _request(args)
    image = commit(request)
    print(
        f"Committed {request.name} as {image}. Run it with: amldebug run --image {image} --no-mount"
    )
    return 0


def sync_command(args: argparse.Namespace) -> int:
    from amldebug.debug_loop.server_verbs import sync

    request = _request(args)
    project, result = sync(request)
    if request.json:
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
        print(f"{CONTAINER_APP_ROOT} in {request.name} matches {project.root}.")
        return 0
    for change in result.changed:
        print(f"{change.status:15} {change.path}")
    for path in result.applied:
        print(f"applied         {path}")
    for path in result.skipped:
        print(f"skipped         {path} (changed on both sides; --force takes the container's)")
    for problem in result.refused:
        print(f"refused         {problem}")
    if not request.apply and any(
        c.status in ("modified", "container-only", "conflict") for c in result.changed
    ):
        print("Bring the container's changes in with: amldebug sync --apply")
    return 0


def stop_command(args: argparse.Namespace) -> int:
    from amldebug.debug_loop.server_verbs import stop

    for outcome in stop(_request(args)):
        if outcome.runtime == "process":
            print(f"Stopped the local inference server {outcome.name}.")
            continue
        if outcome.stopped:
            print(f"Stopped and removed {outcome.name}.")
        if outcome.removed_image:
            print(f"Removed the image {outcome.removed_image}.")
        if outcome.kept_image:
            print(outcome.kept_image)
    return 0


def invoke_command(args: argparse.Namespace) -> int:
    from amldebug.debug_loop.server_verbs import invoke

    # With no body given, the server's own input sample (/swagger.json) is written and sent.
    outcome = invoke(_request(args).with_values(sample_from_swagger=True))
    if outcome.sample_written is not None:
        print(
            f"amldebug: wrote {outcome.sample_written} from the server's /swagger.json "
            "(run()'s input sample)",
            file=sys.stderr,
        )
    response = outcome.response
    timing = [f"{response.elapsed_ms:.0f} ms round trip"]
    if response.server_ms is not None:
        timing.insert(0, f"run() took {response.server_ms} ms on the server")
    print(
        f"POST {response.url} ({outcome.source}) -> {response.status} {response.reason}: "
        f"{', '.join(timing)}"
    )
    if response.request_id:
        print(f"request id {response.request_id}")
    print(response.pretty_body())
    if response.ok:
        return 0
    if response.run_failed:
        print("run() raised an exception: read the traceback in the server log (`amldebug logs`).")
    return 1


def pull_command(args: argparse.Namespace) -> int:
    from amldebug.debug_loop.server_verbs import pull

    request = _request(args)
    if request.password_stdin:
        request = request.with_values(password=sys.stdin.readline().rstrip("\r\n"))
    elif request.username:
        raise UsageError("--username needs --password-stdin (the password is read from stdin).")
    local = pull(request, reporter=TerminalReporter())
    print(f"Pulled {request.image} as {local}. Run it with: amldebug run --image {local}")
    return 0


# verb, help, handler: the flags of each come from the option table.
_VERBS: tuple[tuple[str, str, Command], ...] = (
    ("build", "build the debug image for a project", build_command),
    ("run", "run the debug container and wait until it answers", run_command),
    ("up", "build, run, wait until ready and write the launch.json attach entry", up_command),
    (
        "update",
        "rebuild after a model or environment change and restart the container",
        update_command,
    ),
    ("reload", "serve the edited entry script without a rebuild", reload_command),
    ("logs", "print the container's log", logs_command),
    ("shell", "open a shell in the container (in /var/azureml-app)", shell_command),
    ("commit", "save the container as a new image tag", commit_command),
    ("sync", "compare the container's /var/azureml-app with the local folder", sync_command),
    ("stop", "stop and remove the debug container", stop_command),
    (
        "model-path",
        "where the entry script finds the model inside the container",
        model_path_command,
    ),
    ("pull", "log in to a registry, pull an image and tag it", pull_command),
    ("ps", "list the debug containers amldebug started", ps_command),
    ("invoke", "send a scoring request to the local debug server", invoke_command),
)
_DESCRIPTIONS = {
    "invoke": "POST a request to the running server's /score and print the status, the time run() "
    "took on the server, and the body. Without --data or --file, sends sample-request.json from "
    "the project folder. Exits 1 when the answer is not 2xx.",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    for verb, summary, handler in _VERBS:
        parser = subparsers.add_parser(verb, help=summary, description=_DESCRIPTIONS.get(verb))
        add_cli_arguments(parser, verb)
        parser.set_defaults(func=handler, verb=verb)
