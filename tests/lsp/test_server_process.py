"""The server process itself: a clean exit code, and the start-up cache never being in the way."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def run_session(cache_home: Path) -> tuple[int, bytes]:
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    process = subprocess.run(
        [sys.executable, "-m", "amldebug", "lsp"],
        input=b"".join(frame(m) for m in messages),
        capture_output=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(cache_home), "HOME": str(cache_home)},
        check=False,
    )
    return process.returncode, process.stdout


def test_shutdown_and_exit_end_the_server_with_code_0_and_it_answers_initialize(tmp_path):
    code, stdout = run_session(tmp_path)
    assert code == 0
    assert b'"capabilities"' in stdout
    assert re.search(rb'"id":\s*2', stdout), "no answer to shutdown"


def test_a_corrupt_start_up_cache_is_ignored_and_rewritten(tmp_path):
    assert run_session(tmp_path)[0] == 0
    (cache,) = (tmp_path / "amldebug").glob("lsprotocol-attrs-*.marshal")
    cache.write_bytes(b"\x00not marshal data")
    code, stdout = run_session(tmp_path)
    assert code == 0 and b'"capabilities"' in stdout
    assert cache.read_bytes() != b"\x00not marshal data"
