"""Talking to a running inference server over HTTP: send a scoring request, wait until it is ready.

Shared by both runtimes (container and local process) and by `amldebug invoke`. Uses urllib with
proxies switched off: the server is always on this machine, and a corporate HTTP(S)_PROXY must
not swallow requests to 127.0.0.1.

Public API:
  score(url, data, *, timeout, headers) -> ScoreResponse
  wait_until_ready(url, timeout, cancel=None, is_alive=None, *, interval, on_poll) -> Readiness
  server_url(host, port, path) -> str
  ServerNotListening (an AmlDebugError raised when nothing accepts the connection)
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken

# Headers azmlinfsrv adds to every scoring response.
RUN_TIME_HEADER = "x-ms-run-fn-exec-ms"
REQUEST_ID_HEADER = "x-ms-request-id"
RUN_FAILED_HEADER = "x-ms-run-function-failed"
HEALTHY_BODY = "Healthy"

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerNotListening(AmlDebugError):
    """Nothing accepts connections at the server's address (connection refused)."""

    def __init__(self, host: str, port: int | None):
        where = f"{host}:{port}" if port is not None else host
        super().__init__(
            f"nothing is listening on {where}; start it with `amldebug up`",
            hint="Or pass --port/--host if the server runs elsewhere.",
        )
        self.host = host
        self.port = port


@dataclass(frozen=True)
class ScoreResponse:
    url: str
    status: int
    reason: str
    headers: dict[str, str]  # names lower-cased
    body: str
    elapsed_ms: float  # round trip measured here
    server_ms: str | None = None  # x-ms-run-fn-exec-ms: time spent in run() on the server
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def run_failed(self) -> bool:
        """The server says run() raised (500 with x-ms-run-function-failed: True)."""
        return self.headers.get(RUN_FAILED_HEADER, "").lower() == "true"

    def json(self) -> Any | None:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def pretty_body(self) -> str:
        """The body indented when it is JSON, else as it came."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return self.body
        return json.dumps(value, indent=2, ensure_ascii=False)

    def to_json(self) -> dict[str, Any]:
        """The `amldebug.invoke` result shape of docs/lsp-protocol.md."""
        return {
            "status": self.status,
            "elapsedMs": round(self.elapsed_ms, 3),
            "serverMs": self.server_ms,
            "requestId": self.request_id,
            "headers": dict(self.headers),
            "body": self.body,
            "json": self.json(),
        }


def server_url(host: str = "127.0.0.1", port: int = 8000, path: str = "/") -> str:
    """`http://host:port/path`, with IPv6 literals bracketed and 0.0.0.0 replaced by loopback."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if not path.startswith("/"):
        path = "/" + path
    return f"http://{host}:{port}{path}"


def score(
    url: str,
    data: bytes | str,
    *,
    timeout: float = 300.0,
    headers: Mapping[str, str] | None = None,
) -> ScoreResponse:
    """POST `data` to `url` and return what the server answered, whatever the status.

    Raises ServerNotListening when the connection is refused, AmlDebugError when the server does
    not answer within `timeout` seconds or drops the connection.
    """
    body = data.encode("utf-8") if isinstance(data, str) else data
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    started = time.perf_counter()
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, reason = response.status, response.reason
            raw_headers = response.headers
            payload = response.read()
    except urllib.error.HTTPError as error:
        status, reason, raw_headers = error.code, str(error.reason), error.headers
        payload = error.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise _connection_error(url, error, timeout) from error
    elapsed_ms = (time.perf_counter() - started) * 1000
    lowered = {name.lower(): value for name, value in raw_headers.items()}
    return ScoreResponse(
        url=url,
        status=status,
        reason=reason,
        headers=lowered,
        body=payload.decode("utf-8", errors="replace"),
        elapsed_ms=elapsed_ms,
        server_ms=lowered.get(RUN_TIME_HEADER),
        request_id=lowered.get(REQUEST_ID_HEADER) or lowered.get("x-request-id"),
    )


def _connection_error(url: str, error: BaseException, timeout: float) -> AmlDebugError:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    if isinstance(reason, ConnectionRefusedError):
        return ServerNotListening(host, parts.port)
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return AmlDebugError(
            f"no answer from {url} within {timeout:g} s",
            hint="If run() is paused at a breakpoint, continue it in the debugger, "
            "or raise --timeout.",
        )
    if isinstance(reason, (http.client.RemoteDisconnected, ConnectionResetError)):
        return AmlDebugError(
            f"the server at {url} closed the connection without answering",
            hint="The worker may have crashed or restarted: read its log with `amldebug logs`.",
        )
    return AmlDebugError(f"cannot reach {url}: {reason}")


@dataclass(frozen=True)
class Readiness:
    """How waiting for a server ended. `state` is "ready", "exited" (is_alive() said no) or
    "timeout"; `last_error` describes the last failed probe, for messages."""

    state: str
    seconds: float
    attempts: int
    last_error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def _health_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme or "http", parts.netloc, "/", "", ""))


def wait_until_ready(
    url: str,
    timeout: float,
    cancel: CancelToken | None = None,
    is_alive: Callable[[], bool] | None = None,
    *,
    interval: float = 0.05,
    max_interval: float = 0.25,
    on_poll: Callable[[], None] | None = None,
) -> Readiness:
    """Poll `GET /` on the server at `url` until it answers "Healthy", the server dies, or time runs
    out. Never sleeps a fixed time: it retries quickly with a short back-off.

    `is_alive` is asked before each probe (the process or container is still running);
    `on_poll` runs once per round (e.g. to stream new log lines). Raises Cancelled when `cancel` is
    cancelled.
    """
    health = _health_url(url)
    started = time.monotonic()
    deadline = started + timeout
    attempts = 0
    last_error: str | None = None
    delay = interval
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if on_poll is not None:
            on_poll()
        if is_alive is not None and not is_alive():
            return Readiness("exited", time.monotonic() - started, attempts, last_error)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Readiness("timeout", time.monotonic() - started, attempts, last_error)
        attempts += 1
        # Short per-probe timeout: while a worker boots, the connection waits in the backlog,
        # and we must come back to is_alive() and cancellation regularly.
        probe_timeout = max(0.05, min(1.0, remaining))
        try:
            with _opener.open(health, timeout=probe_timeout) as response:
                text = response.read(256).decode("utf-8", errors="replace")
                if response.status == 200 and text.strip() == HEALTHY_BODY:
                    return Readiness("ready", time.monotonic() - started, attempts)
                last_error = f"GET / answered {response.status} {text.strip()[:60]!r}"
        except urllib.error.HTTPError as error:
            last_error = f"GET / answered {error.code}"
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            last_error = f"GET / failed: {reason}"
            if isinstance(reason, TimeoutError):
                # The port took the connection and the server has not answered yet (a worker
                # booting): ask again at once, so the answer is seen the moment it comes.
                continue
        wait = min(delay, max(0.0, deadline - time.monotonic()))
        if cancel is not None:
            if cancel.wait(wait):
                cancel.raise_if_cancelled()
        else:
            time.sleep(wait)
        delay = min(max_interval, delay * 1.5)
