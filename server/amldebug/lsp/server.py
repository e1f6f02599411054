"""The pygls language server: a thin adapter from LSP to the analysis engine and the debug loop.

Diagnostics for entry scripts, conda files, steps files, deployment YAML and other Python files on
open/change/save (see `document_checker.py`), code actions from each diagnostic's fixes plus the
entry script's refactors, hovers, settings, and the `workspace/executeCommand` commands of the
contract registry (`lsp/contract/`).

Server state that command handlers may use:
- `server.workspace_trusted`: bool, from initializationOptions `{"trusted": true}` and the
  `amldebug/workspaceTrust` notification (default False); see `contract/trust.py`.
- `server.settings`: `WorkspaceSettings` (per workspace folder); `server.settings_for(path)`: the
  `ServerSettings` of the folder holding `path`; `server.project_for(path)`: the project with them.
- `server.notify(method, params)`: a custom notification, from any thread.
- `server.publish_external_diagnostics(source, path, diagnostics)` / `clear_external_diagnostics`:
  engine diagnostics (e.g. a build failure mapped to a conda file line) shown next to the analysis.
- `amldebug.lsp.progress`: `current_command()`, `LspProgressReporter` for `$/progress`.

stdout is the JSON-RPC pipe: everything else goes to stderr through `logging`.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import importlib
import inspect
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from amldebug.lsp.attrs_code_cache import attrs_code_cache

with attrs_code_cache():
    from lsprotocol import types
from pygls.exceptions import FeatureRequestError
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

import amldebug
from amldebug import diagnostics as engine
from amldebug.analysis.hover import hover_at
from amldebug.lsp import notifications
from amldebug.lsp.code_actions import code_actions
from amldebug.lsp.contract import trust
from amldebug.lsp.convert import (
    ColumnCodec,
    from_lsp_position,
    to_lsp_diagnostic,
)
from amldebug.lsp.document_checker import MAX_CHECKED_CHARS, DocumentChecker, OpenDocument
from amldebug.lsp.process_setup import (
    configure_logging,
    return_free_memory,
    tune_garbage_collector,
)
from amldebug.lsp.protocol import COMMAND_LOAD_DELAY_SECONDS, COMMAND_MODULES, AmlDebugProtocol
from amldebug.lsp.settings import (
    SECTION,
    ServerSettings,
    WorkspaceSettings,
    parse_settings,
    pull_workspace_settings,
)
from amldebug.lsp.stdio_transport import StdinPump
from amldebug.progress import CancelToken
from amldebug.project import Project

logger = logging.getLogger("amldebug.lsp")

F = TypeVar("F", bound=Callable[..., Any])


class AmlDebugLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "amldebug", amldebug.__version__, protocol_cls=AmlDebugProtocol, max_workers=8
        )
        self.workspace_trusted = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread_id: int | None = None
        self.progress_tokens: dict[types.ProgressToken, CancelToken] = {}
        self._command_modules_loaded = False
        self._command_preload_started = False
        self.checker = DocumentChecker(
            publish=self._publish,
            call_on_loop=functools.partial(notifications.call_on_loop, self),
            open_documents=self.open_documents,
            workspace_roots=self.workspace_roots,
        )

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls' stdio server, reading stdin through `StdinPump` (see there)."""
        self._stop_event = stop_event = threading.Event()
        reader = StdinPump(stdin or sys.stdin.buffer)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def serve() -> None:
            reader.start(asyncio.get_running_loop())
            await run_async(
                stop_event=stop_event,
                reader=reader,
                protocol=self.protocol,
                logger=logger,
                error_handler=self.report_server_error,
            )

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            logger.error("the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls' out-of-band errors (a malformed message, a failing notification handler): into
        the log, not a pop-up per keystroke as pygls does by default."""
        if source is FeatureRequestError:
            return  # the request's error response already says it
        notifications.log_message(self, f"amldebug: {error}", types.MessageType.Error)

    # -- state shared with command handlers ------------------------------------------------

    @property
    def settings(self) -> WorkspaceSettings:
        return self.checker.settings

    def settings_for(self, path: Path | str) -> ServerSettings:
        return self.checker.settings.for_path(Path(path).absolute())

    def project_for(self, path: Path | str) -> Project:
        return self.checker.project_for(Path(path).absolute())

    def notify(self, method: str, params: Any) -> None:
        notifications.notify(self, method, params)

    def publish_external_diagnostics(
        self, source: str, path: Path, diagnostics: Sequence[engine.Diagnostic]
    ) -> None:
        """Show `diagnostics` on `path` (open or not) until replaced or cleared; any thread."""
        uri = from_fs_path(str(Path(path).absolute())) or Path(path).absolute().as_uri()
        lines = self._lines_of(uri)
        converted = [to_lsp_diagnostic(d, lines, self.checker.codec) for d in diagnostics]
        notifications.call_on_loop(self, self.checker.set_external, source, uri, converted)

    def clear_external_diagnostics(self, source: str) -> None:
        notifications.call_on_loop(self, self.checker.clear_external, source)

    def track_progress_token(self, token: types.ProgressToken, cancel_token: CancelToken) -> None:
        self.progress_tokens[token] = cancel_token

    def forget_progress_token(self, token: types.ProgressToken) -> None:
        self.progress_tokens.pop(token, None)

    # -- documents ------------------------------------------------------------------------

    def open_documents(self) -> list[OpenDocument]:
        documents = []
        for uri, document in list(self.workspace.text_documents.items()):
            path = _path_of_uri(uri)
            if path is not None:
                documents.append(OpenDocument(uri, path, document.version, document.source))
        return documents

    def open_document(self, uri: str) -> OpenDocument | None:
        path = _path_of_uri(uri)
        document = self.workspace.text_documents.get(uri)
        if path is None or document is None:
            return None
        return OpenDocument(uri, path, document.version, document.source)

    def workspace_roots(self) -> list[Path]:
        roots = []
        try:
            workspace = self.workspace
        except RuntimeError:
            return []
        for uri in [*workspace.folders.keys(), workspace.root_uri]:
            if uri and (path := to_fs_path(uri)):
                roots.append(Path(path))
        return roots

    def _lines_of(self, uri: str) -> list[str]:
        document = self.workspace.text_documents.get(uri)
        if document is not None:
            return document.source.split("\n")
        path = to_fs_path(uri)
        try:
            return (
                Path(path).read_text(encoding="utf-8", errors="replace").split("\n") if path else []
            )
        except OSError:
            return []

    def _publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics)
        )
        self.preload_command_modules()

    # -- command modules ------------------------------------------------------------------

    def load_command_modules(self) -> None:
        """Import the command handler modules (the contract registry runs them); once. One failing
        to load must not take the diagnostics down with it."""
        if self._command_modules_loaded:
            return
        self._command_modules_loaded = True
        for module_name in COMMAND_MODULES:
            try:
                importlib.import_module(module_name)
            except Exception:
                logger.exception("could not import the commands of %s", module_name)
        gc.freeze()  # their modules are as permanent as the rest (see tune_garbage_collector)

    def preload_command_modules(self) -> None:
        """Import the command modules on a background thread, then register them on the loop."""
        if self._command_preload_started or self._command_modules_loaded:
            return
        self._command_preload_started = True

        def import_then_register() -> None:
            for module_name in COMMAND_MODULES:
                try:
                    importlib.import_module(module_name)
                except Exception:
                    logger.exception("could not import %s", module_name)
            notifications.call_on_loop(self, self.load_command_modules)

        threading.Thread(target=import_then_register, name="amldebug-commands", daemon=True).start()

    # -- settings -------------------------------------------------------------------------

    def apply_settings(self, settings: WorkspaceSettings) -> None:
        if settings == self.checker.settings:
            return
        logger.info("settings changed: %s", settings)
        self.checker.settings = settings
        self.checker.check_all()

    def client_supports_configuration(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.configuration)

    async def pull_settings(self) -> None:
        if not self.client_supports_configuration():
            return
        # Per workspace folder (settings are resource-scoped); a scope the client has no section
        # for keeps what initializationOptions said.
        self.apply_settings(await pull_workspace_settings(self, self.checker.settings))


@functools.lru_cache(maxsize=4096)
def _path_of_uri(uri: str) -> Path | None:
    """The open document's path: asked for every open document on each keystroke, and the same
    few URIs every time."""
    path = to_fs_path(uri)
    return Path(path) if path is not None else None


def guarded(default: Any = None) -> Callable[[F], F]:
    """No input may crash the server: log the failure (stderr and the client's log), carry on."""

    def decorate(handler: F) -> F:
        def report(server: AmlDebugLanguageServer) -> Any:
            logger.exception("%s failed", handler.__name__)
            try:
                error = sys.exc_info()[1]
                notifications.log_message(
                    server,
                    f"amldebug: {handler.__name__} failed: {error!r}",
                    types.MessageType.Error,
                )
            except Exception:
                logger.exception("could not report the failure to the client")
            return default

        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def guard_async(server: AmlDebugLanguageServer, *args: Any) -> Any:
                try:
                    return await handler(server, *args)
                except Exception:
                    return report(server)

            return guard_async  # type: ignore[return-value]

        @functools.wraps(handler)
        def guard(server: AmlDebugLanguageServer, *args: Any) -> Any:
            try:
                return handler(server, *args)
            except Exception:
                return report(server)

        return guard  # type: ignore[return-value]

    return decorate


def create_server(*, load_commands_now: bool = False) -> AmlDebugLanguageServer:
    """The server with every feature registered. The command modules load lazily (see
    COMMAND_MODULES) unless `load_commands_now`."""
    server = AmlDebugLanguageServer()
    _register_features(server)
    if load_commands_now:
        server.load_command_modules()
    return server


# Files on disk whose change can alter another file's diagnostics (a conda file edited outside
# the editor, a `git checkout` that brings a deployment YAML).
WATCHED_FILE_PATTERNS = ("**/*.yml", "**/*.yaml", "**/*.py", "**/Dockerfile.steps", "**/*.steps")


async def _register_with_client(ls: AmlDebugLanguageServer) -> None:
    """Ask for the notifications VS Code sends only to servers that registered for them."""
    workspace = ls.client_capabilities.workspace
    registrations = []
    if (
        workspace
        and workspace.did_change_configuration
        and workspace.did_change_configuration.dynamic_registration
    ):
        registrations.append(
            types.Registration(
                id="amldebug-configuration",
                method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                register_options=types.DidChangeConfigurationRegistrationOptions(section=SECTION),
            )
        )
    if (
        workspace
        and workspace.did_change_watched_files
        and workspace.did_change_watched_files.dynamic_registration
    ):
        registrations.append(
            types.Registration(
                id="amldebug-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[
                        types.FileSystemWatcher(glob_pattern=pattern)
                        for pattern in WATCHED_FILE_PATTERNS
                    ]
                ),
            )
        )
    if not registrations:
        return
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(registrations=registrations)
        )
    except Exception as error:  # a client that says it can but cannot: settings still load at start
        logger.info("the client refused client/registerCapability: %s", error)


def _register_features(server: AmlDebugLanguageServer) -> None:
    trust.register(server)

    @server.feature(types.INITIALIZE)
    @guarded()
    def initialize(ls: AmlDebugLanguageServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.loop_thread_id = threading.get_ident()
        options = (
            params.initialization_options if isinstance(params.initialization_options, dict) else {}
        )
        ls.workspace_trusted = trust.trusted_in(options)
        ls.checker.settings = WorkspaceSettings(parse_settings(options.get("settings", {})))
        ls.checker.codec = ColumnCodec(ls.workspace.position_encoding)
        logger.info(
            "initialised: trusted=%s settings=%s", ls.workspace_trusted, ls.checker.settings
        )

    @server.feature(types.INITIALIZED)
    @guarded()
    async def initialized(ls: AmlDebugLanguageServer, params: types.InitializedParams) -> None:
        await _register_with_client(ls)
        await ls.pull_settings()
        if ls.loop is not None:
            ls.loop.call_later(COMMAND_LOAD_DELAY_SECONDS, ls.preload_command_modules)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded()
    async def did_change_configuration(
        ls: AmlDebugLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if ls.client_supports_configuration():
            await ls.pull_settings()
        elif isinstance(params.settings, dict):
            ls.apply_settings(WorkspaceSettings(parse_settings(params.settings)))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @guarded()
    async def did_change_workspace_folders(
        ls: AmlDebugLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        # pygls has updated ls.workspace already; a new folder brings its own settings.
        ls.checker.invalidate_projects()
        if ls.client_supports_configuration():
            await ls.pull_settings()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(ls: AmlDebugLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        if (document := ls.open_document(params.text_document.uri)) is not None:
            ls.checker.check(document)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(ls: AmlDebugLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        if (document := ls.open_document(params.text_document.uri)) is not None:
            ls.checker.check(document)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded()
    def did_save(ls: AmlDebugLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.checker.invalidate_projects()  # a saved deployment YAML or conda file can move things
        if (document := ls.open_document(params.text_document.uri)) is not None:
            ls.checker.check(document)
            from amldebug.lsp.resolve_on_save import resolve_after_save  # not at start-up

            resolve_after_save(ls, document)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(ls: AmlDebugLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        if ls.checker.forget(params.text_document.uri):
            return_free_memory()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded()
    def did_change_watched_files(
        ls: AmlDebugLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        paths = [Path(path) for change in params.changes if (path := to_fs_path(change.uri))]
        ls.checker.files_changed_on_disk(paths)

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    @guarded()
    def work_done_progress_cancel(
        ls: AmlDebugLanguageServer, params: types.WorkDoneProgressCancelParams
    ) -> None:
        if (cancel_token := ls.progress_tokens.get(params.token)) is not None:
            cancel_token.cancel()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite]
        ),
    )
    @guarded(default=None)
    def code_action(
        ls: AmlDebugLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        return code_actions(ls, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(default=None)
    def hover(ls: AmlDebugLanguageServer, params: types.HoverParams) -> types.Hover | None:
        document = ls.open_document(params.text_document.uri)
        # Too large to analyse, too large to split into lines at each mouse move.
        if document is None or len(document.text) > MAX_CHECKED_CHARS:
            return None
        lines = document.text.split("\n")
        position = from_lsp_position(params.position, lines, ls.checker.codec)
        overlay = {doc.path: doc.text for doc in ls.open_documents()}
        markdown = hover_at(
            document.path,
            document.text,
            position.line,
            position.character,
            project=ls.project_for(document.path),
            overlay=overlay,
        )
        if not markdown:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown)
        )


def start_language_server() -> None:
    """`amldebug lsp`: serve on stdio until the client says exit."""
    configure_logging()
    server = create_server()
    tune_garbage_collector()
    try:
        server.start_io()
    finally:
        server.checker.shutdown()
