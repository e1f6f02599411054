"""What the layer says before a start, without an engine: options the chosen runtime cannot
honour are named, in the caller's words."""

from __future__ import annotations

from amldebug.debug_loop.local_runtime import ProcessRuntime
from amldebug.debug_loop.options import request_for, request_from_lsp
from amldebug.debug_loop.preflight import ignored_by_the_runtime
from amldebug.debug_loop.runtime import RuntimeChoice


def test_container_only_options_given_to_a_local_process_are_said() -> None:
    choice = RuntimeChoice(ProcessRuntime(), "asked")
    cli = request_for("up", memory="2g", gpus=True, port=18130, given={"memory", "gpus", "port"})
    assert ignored_by_the_runtime(cli, choice) == (
        "--gpus applies to a container; the local process runs without it.",
        "--memory applies to a container; the local process runs without it.",
    )
    editor = request_from_lsp("run", {"mount": False, "port": 18131})
    assert ignored_by_the_runtime(editor, choice) == (
        "`mount` applies to a container; the local process runs without it.",
    )
    assert ignored_by_the_runtime(request_for("up", port=18132), choice) == ()
