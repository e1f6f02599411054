"""Scoring requests and readiness polling, against small real HTTP servers on loopback.

The real inference server is exercised in test_process_runtime.py; here a stdlib server plays
the parts that are hard to provoke from azmlinfsrv (a slow start, an unhealthy answer)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from amldebug.cli.main import main
from amldebug.containers.ports import free_port
from amldebug.containers.scoring_client import (
    ServerNotListening,
    score,
    server_url,
    wait_until_ready,
)
from amldebug.errors import AmlDebugError
from amldebug.progress import Cancelled, CancelToken


class _Handler(http.server.BaseHTTPRequestHandler):
    healthy_after = 0
    health_requests = 0

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        type(self).health_requests += 1
        ready = type(self).health_requests > type(self).healthy_after
        body = b"Healthy" if ready else b"Starting"
        self.send_response(200 if ready else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        data = json.loads(self.rfile.read(length))
        if "fail" in data:
            body = json.dumps(
                {"message": "An unexpected error occurred in scoring script."}
            ).encode()
            self.send_response(500)
            self.send_header("x-ms-run-function-failed", "True")
        else:
            body = json.dumps({"echo": data}).encode()
            self.send_response(200)
            self.send_header("x-ms-run-fn-exec-ms", "1.25")
            self.send_header("x-ms-request-id", "req-1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[tuple[int, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"healthy_after": 0, "health_requests": 0})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], handler
    httpd.shutdown()
    httpd.server_close()


def test_score_returns_status_timing_request_id_and_body(server):
    port, _ = server
    response = score(server_url("127.0.0.1", port, "/score"), '{"data": [1]}')
    assert response.ok and response.status == 200
    assert response.server_ms == "1.25" and response.request_id == "req-1"
    assert response.json() == {"echo": {"data": [1]}}
    assert response.pretty_body() == '{\n  "echo": {\n    "data": [\n      1\n    ]\n  }\n}'


def test_score_returns_a_500_instead_of_raising(server):
    port, _ = server
    response = score(server_url("127.0.0.1", port, "/score"), '{"fail": 1}')
    assert response.status == 500 and not response.ok and response.run_failed


def test_connection_refused_says_nothing_listens_and_how_to_start():
    port = free_port()
    with pytest.raises(ServerNotListening) as raised:
        score(server_url("127.0.0.1", port, "/score"), "{}")
    assert raised.value.message == (
        f"nothing is listening on 127.0.0.1:{port}; start it with `amldebug up`"
    )


def test_wait_until_ready_polls_until_healthy(server):
    port, handler = server
    handler.healthy_after = 3
    readiness = wait_until_ready(server_url("127.0.0.1", port), timeout=10)
    assert readiness.ready and readiness.attempts == 4


def test_wait_until_ready_times_out_with_the_last_answer(server):
    port, handler = server
    handler.healthy_after = 10**9
    readiness = wait_until_ready(server_url("127.0.0.1", port), timeout=0.5)
    assert readiness.state == "timeout"
    assert readiness.last_error == "GET / answered 503"


def test_wait_until_ready_stops_when_the_server_died():
    port = free_port()
    readiness = wait_until_ready(server_url("127.0.0.1", port), timeout=30, is_alive=lambda: False)
    assert readiness.state == "exited"


def test_wait_until_ready_honours_cancellation():
    cancel = CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    with pytest.raises(Cancelled):
        wait_until_ready(server_url("127.0.0.1", free_port()), timeout=30, cancel=cancel)


def test_cli_invoke_prints_status_timing_and_pretty_body(server, tmp_path, capsys):
    port, _ = server
    (tmp_path / "sample-request.json").write_text('{"data": [[1, 2]]}')
    assert main(["invoke", "--port", str(port), "--folder", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (
        f"POST http://127.0.0.1:{port}/score ({tmp_path / 'sample-request.json'}) -> 200 OK" in out
    )
    assert "run() took 1.25 ms on the server" in out
    assert '"echo": {\n    "data": [' in out


def test_cli_invoke_exits_1_on_a_server_error(server, capsys):
    port, _ = server
    assert main(["invoke", "--port", str(port), "--data", '{"fail": true}']) == 1
    out = capsys.readouterr().out
    assert "-> 500" in out and "run() raised an exception" in out


def test_cli_invoke_with_nothing_listening_exits_1_with_the_hint(tmp_path, capsys):
    port = free_port()
    assert main(["invoke", "--port", str(port), "--data", "{}"]) == 1
    err = capsys.readouterr().err
    assert f"nothing is listening on 127.0.0.1:{port}; start it with `amldebug up`" in err


def test_cli_invoke_without_a_body_is_a_usage_error(tmp_path, capsys):
    assert main(["invoke", "--folder", str(tmp_path)]) == 2
    assert "No request body" in capsys.readouterr().err


def test_read_timeout_is_a_message_not_a_traceback():
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as silent:
        # Accepts the connection (backlog) but never answers: nobody calls serve_forever.
        port = silent.server_address[1]
        with pytest.raises(AmlDebugError) as raised:
            score(server_url("127.0.0.1", port, "/score"), "{}", timeout=0.3)
        assert raised.value.message == f"no answer from http://127.0.0.1:{port}/score within 0.3 s"
