"""Checks before a build or a start, so a mistake costs seconds, not a cold build (issue 12, "fail
fast"): the engine (choosing the runtime connects), the host ports, a name taken by someone else's
container, and, when asked, whether the conda file's pip section resolves.
"""

from __future__ import annotations

from amldebug.containers.ports import ensure_ports_free
from amldebug.debug_loop.docker_runtime import DockerRuntime
from amldebug.debug_loop.local_runtime import ProcessRuntime
from amldebug.debug_loop.options import DebugLoopRequest, options_for
from amldebug.debug_loop.runtime import RuntimeChoice
from amldebug.diagnostics import Severity
from amldebug.errors import AmlDebugError
from amldebug.progress import ProgressReporter
from amldebug.project import Project


def check_before_start(
    request: DebugLoopRequest, choice: RuntimeChoice, reporter: ProgressReporter
) -> None:
    """The ports and the name, for a server about to start (or be built then started)."""
    replaced = _ports_of_the_server_replaced(request, choice)
    wanted = [
        (request.server_port, request.said("port"), "the server port"),
        (request.debugger_port, request.said("debug_port"), "the debugger port"),
    ]
    if request.server_port == request.debugger_port:
        ensure_ports_free(wanted, _host(request.bind))  # says "both are N"
    ensure_ports_free([w for w in wanted if w[0] not in replaced], _host(request.bind))


def ignored_by_the_runtime(request: DebugLoopRequest, choice: RuntimeChoice) -> tuple[str, ...]:
    """Sentences for the options given that the chosen runtime has no use for (a memory limit
    for a local process), so nobody believes them applied."""
    if not isinstance(choice.runtime, ProcessRuntime):
        return ()
    return tuple(
        f"{request.said(o.name)} applies to a container; the local process runs without it."
        for o in options_for(request.verb)
        if o.docker_only and o.name in request.given
    )


def _host(bind: str) -> str:
    return bind or "127.0.0.1"


def _ports_of_the_server_replaced(request: DebugLoopRequest, choice: RuntimeChoice) -> set[int]:
    """The ports held by our own earlier server of the same name (the start replaces it); a
    container of that name that amldebug did not start is refused here, before any build."""
    runtime = choice.runtime
    if isinstance(runtime, DockerRuntime):
        if runtime.engine.find_container(request.name) is None:
            return set()
        if not runtime.is_ours(request.name):
            raise AmlDebugError(
                f"A container named '{request.name}' exists and was not started by amldebug.",
                hint=f"Choose another name ({request.said('name')}), or remove that container.",
            )
        found = runtime.find(request.name)
    elif isinstance(runtime, ProcessRuntime):
        found = runtime.find(request.name)
    else:
        return set()
    if found is None or not found.running:
        return set()
    return {port for port in (found.scoring_port, found.debug_port) if port}


def check_environment_resolves(
    request: DebugLoopRequest, project: Project, reporter: ProgressReporter
) -> None:
    """With `resolve`: the conda file's pip section must resolve (AML213/AML214) before a build
    spends minutes finding out. An index that cannot be reached is said, not fatal."""
    if not request.resolve or project.conda_file is None:
        return
    from amldebug.analysis.environment_resolution import resolution_diagnostics
    from amldebug.analysis.uv_resolver import UvCommand, resolve_conda_text
    from amldebug.containers.build import resolve_ca_bundle
    from amldebug.project_files import DEFAULT_MAX_BYTES, read_project_file

    conda_file = project.conda_file
    text = read_project_file(conda_file, root=None, max_bytes=DEFAULT_MAX_BYTES).text
    if text is None:
        return
    reporter.step(f"Resolving {project.relative(conda_file)}", 2)
    runner = UvCommand(ca_bundle=resolve_ca_bundle(request.ca_bundle))
    outcome = resolve_conda_text(text, conda_file.parent, runner=runner)
    if outcome is None:
        return
    found = resolution_diagnostics(*outcome)
    errors = [d for d in found if d.severity is Severity.ERROR]
    for diagnostic in found:
        if diagnostic.severity is not Severity.ERROR:
            reporter.log(f"amldebug: {diagnostic.code} {diagnostic.message}")
    if errors:
        where = project.relative(conda_file)
        lines = [f"{where}:{d.range.start.line + 1}: {d.code} {d.message}" for d in errors]
        raise AmlDebugError(
            "The environment does not resolve; nothing was built.\n" + "\n".join(lines),
            hint="Change the pins the messages name; the conda file's diagnostics say the same.",
        )
