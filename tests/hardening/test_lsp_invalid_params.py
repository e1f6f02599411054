"""A request whose params do not deserialise gets a JSON-RPC -32602 answer, not silence (issue 9,
item 10): pygls 2 logs such a message and drops it, so the client waits for ever.

Spoken on the wire, not through a pygls client: a client library would refuse to send these."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

SCORE = "def init():\n    pass\n\n\ndef run(data):\n    return data\n"


class RawSession:
    """`amldebug lsp` on pipes, read with a deadline: a missing answer fails, never hangs."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "amldebug", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "XDG_CACHE_HOME": str(root / ".cache")},
        )
        self.buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def answer(self, msg_id: Any, timeout: float = 20.0) -> dict[str, Any]:
        """The response to `msg_id` (requests and notifications from the server are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            while (message := self._next_message()) is not None:
                if message.get("id") == msg_id and "method" not in message:
                    return message
            left = deadline - time.monotonic()
            assert left > 0, f"no answer to request {msg_id!r} within {timeout} s"
            assert self.process.stdout is not None
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 1 << 16)
                assert chunk, "the server closed its output"
                self.buffer += chunk

    def _next_message(self) -> dict[str, Any] | None:
        header_end = self.buffer.find(b"\r\n\r\n")
        if header_end < 0:
            return None
        headers = dict(
            line.split(b":", 1) for line in self.buffer[:header_end].split(b"\r\n") if line
        )
        length = int(headers[b"Content-Length"])
        start = header_end + 4
        if len(self.buffer) < start + length:
            return None
        body, self.buffer = self.buffer[start : start + length], self.buffer[start + length :]
        return json.loads(body)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def session(tmp_path: Path):
    (tmp_path / "score.py").write_text(SCORE)
    raw = RawSession(tmp_path)
    raw.send(
        {
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
        }
    )
    assert "result" in raw.answer(1)
    raw.send({"method": "initialized", "params": {}})
    yield raw, (tmp_path / "score.py").as_uri()
    raw.close()


@pytest.mark.parametrize(
    "method,params",
    [
        ("textDocument/hover", {"textDocument": {"uri": "U"}, "position": {"line": "x"}}),
        ("textDocument/hover", {"textDocument": {"uri": "U"}}),
        ("textDocument/hover", {"textDocument": "U", "position": {"line": 0, "character": 0}}),
        ("textDocument/codeAction", {"textDocument": {"uri": "U"}, "range": [], "context": {}}),
        ("textDocument/hover", [1, 2]),
        ("workspace/executeCommand", {"arguments": []}),
    ],
)
def test_params_that_do_not_deserialise_get_invalid_params(session, method, params):
    raw, uri = session
    params = json.loads(json.dumps(params).replace('"U"', json.dumps(uri)))
    raw.send({"id": 7, "method": method, "params": params})
    answer = raw.answer(7)
    assert answer["error"]["code"] == -32602
    assert method in answer["error"]["message"]
    # The server keeps answering.
    raw.send(
        {
            "id": 8,
            "method": "textDocument/hover",
            "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}},
        }
    )
    assert "result" in raw.answer(8)


def test_a_string_id_is_answered_with_that_id(session):
    raw, _ = session
    raw.send({"id": "abc", "method": "textDocument/hover", "params": {"position": 3}})
    assert raw.answer("abc")["error"]["code"] == -32602


def test_a_malformed_notification_gets_no_answer_and_breaks_nothing(session):
    raw, uri = session
    raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": 5}}})
    raw.send(
        {
            "id": 9,
            "method": "textDocument/hover",
            "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}},
        }
    )
    assert "result" in raw.answer(9)
