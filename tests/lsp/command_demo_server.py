"""The real amldebug language server plus two demo commands that use the progress helpers the
debug-loop and troubleshooting commands use (`current_command`, `LspProgressReporter`,
`send_log`), so their contract is tested over stdio without Docker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amldebug.diagnostics import Diagnostic, Range, Severity
from amldebug.errors import AmlDebugError
from amldebug.lsp.notifications import send_container_state
from amldebug.lsp.process_setup import configure_logging
from amldebug.lsp.progress import LspProgressReporter, current_command
from amldebug.lsp.server import AmlDebugLanguageServer, create_server


def add_demo_commands(server: AmlDebugLanguageServer) -> None:
    @server.command("demo.count")
    @server.thread()
    def count(ls: AmlDebugLanguageServer, options: dict[str, Any]) -> dict[str, Any]:
        request = current_command()
        with LspProgressReporter(ls, "Counting", log_channel="build") as progress:
            for number in range(int(options.get("to", 3))):
                progress.step(f"number {number}", percentage=number * 10)
                progress.log(f"line {number}")
                if progress.cancel_token.wait(float(options.get("pause", 0))):
                    progress.cancel_token.raise_if_cancelled()
        send_container_state(
            ls, name="debug", state="ready", port=8000, debug_port=5678, runtime="docker"
        )
        return {
            "ok": True,
            "trusted": ls.workspace_trusted,
            "command": request.command if request else None,
        }

    @server.command("demo.buildFailed")
    @server.thread()
    def build_failed(ls: AmlDebugLanguageServer, options: dict[str, Any]) -> dict[str, Any]:
        if options.get("clear"):
            ls.clear_external_diagnostics("amldebug-build")
            return {"ok": True}
        failure = Diagnostic(
            "BUILD",
            Severity.ERROR,
            "pip: No matching distribution found for nosuchpackage",
            Range.of(int(options["line"]), 8, int(options["line"]), 21),
        )
        ls.publish_external_diagnostics("amldebug-build", Path(options["path"]), [failure])
        return {"ok": False, "error": "The image build failed."}

    @server.command("demo.fail")
    def fail(ls: AmlDebugLanguageServer, options: dict[str, Any]) -> dict[str, Any]:
        raise AmlDebugError(
            "Docker is not running.", hint="Start it with `sudo service docker start`."
        )


if __name__ == "__main__":
    configure_logging()
    demo = create_server()
    add_demo_commands(demo)
    demo.start_io()
