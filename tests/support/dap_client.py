"""A small Debug Adapter Protocol client, to drive the real debugpy adapter from tests the way
VS Code does: initialize, attach with the generated launch.json entry, set breakpoints, wait for
`stopped`, read the stack."""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import socket
import threading
import time
from typing import Any


class DapError(RuntimeError):
    pass


class DapClient:
    def __init__(self, host: str, port: int, *, connect_timeout: float = 15.0) -> None:
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self._socket = socket.create_connection((host, port), timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._socket.settimeout(None)
        self._seq = itertools.count(1)
        self._responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.close()

    def __enter__(self) -> DapClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_request(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        seq = next(self._seq)
        with self._lock:
            self._responses[seq] = queue.Queue()
        message = {"seq": seq, "type": "request", "command": command, "arguments": arguments or {}}
        body = json.dumps(message).encode("utf-8")
        self._socket.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return seq

    def wait_response(self, seq: int, timeout: float = 30.0) -> dict[str, Any]:
        try:
            response = self._responses[seq].get(timeout=timeout)
        except queue.Empty:
            raise DapError(f"no response to request {seq} within {timeout}s") from None
        if not response.get("success", False):
            raise DapError(
                f"{response.get('command')} failed: "
                f"{response.get('message')} {response.get('body')}"
            )
        return response

    def request(
        self, command: str, arguments: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        return self.wait_response(self.send_request(command, arguments), timeout)

    def wait_event(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DapError(f"no '{name}' event within {timeout}s")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if event.get("event") == name:
                return event

    def attach(self, configuration: dict[str, Any], breakpoints: dict[str, list[int]]) -> None:
        """Attach with a launch.json configuration and set breakpoints {local path: [lines]}."""
        self.request(
            "initialize",
            {
                "clientID": "amldebug-tests",
                "adapterID": "debugpy",
                "pathFormat": "path",
                "linesStartAt1": True,
                "columnsStartAt1": True,
                "supportsRunInTerminalRequest": False,
            },
        )
        arguments = {
            k: v
            for k, v in configuration.items()
            if k not in ("name", "type", "request", "connect")
        }
        attach_seq = self.send_request("attach", arguments)
        self.wait_event("initialized")
        for path, lines in breakpoints.items():
            reply = self.request(
                "setBreakpoints",
                {"source": {"path": path}, "breakpoints": [{"line": line} for line in lines]},
            )
            if not all(bp.get("verified", True) for bp in reply["body"]["breakpoints"]):
                # debugpy verifies lazily; unverified now may still bind once the file loads.
                pass
        self.request("configurationDone")
        self.wait_response(attach_seq)

    def top_frame(self, thread_id: int) -> dict[str, Any]:
        frames = self.request("stackTrace", {"threadId": thread_id, "startFrame": 0, "levels": 5})
        return frames["body"]["stackFrames"][0]

    def _read_loop(self) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = self._socket.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                header, buffer = buffer.split(b"\r\n\r\n", 1)
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in header.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                while len(buffer) < length:
                    chunk = self._socket.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                body, buffer = buffer[:length], buffer[length:]
                message = json.loads(body)
                if message.get("type") == "response":
                    with self._lock:
                        target = self._responses.get(message["request_seq"])
                    if target is not None:
                        target.put(message)
                elif message.get("type") == "event":
                    self.events.put(message)
        except OSError:
            return
