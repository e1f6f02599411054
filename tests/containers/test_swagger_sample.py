"""A request worth sending (issue 10, Beyond): run()'s @input_schema sample, as the inference server
publishes it in /swagger.json, becomes sample-request.json when the project has none."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from amldebug.cli.main import main
from amldebug.containers.swagger_sample import fetch_sample, sample_from_swagger

SAMPLE = {"data": [[1.0, 2.0, 3.0]]}
# The shapes azureml-inference-server-http 1.5 serves: inference-schema's input schema is
# `ServiceInput` (swagger 2: definitions; OpenAPI 3: components.schemas).
SWAGGER2 = {
    "swagger": "2.0",
    "definitions": {
        "ServiceInput": {
            "type": "object",
            "properties": {"data": {"type": "array", "example": SAMPLE["data"]}},
            "example": SAMPLE,
        }
    },
}
SWAGGER3 = {
    "openapi": "3.0.1",
    "components": {"schemas": {"ServiceInput": SWAGGER2["definitions"]["ServiceInput"]}},
}
UNDECORATED = {"swagger": "2.0", "definitions": {"ServiceInput": {"type": "object", "example": {}}}}


def test_the_input_sample_from_swagger_2_and_openapi_3():
    assert sample_from_swagger(SWAGGER2) == SAMPLE
    assert sample_from_swagger(SWAGGER3) == SAMPLE


def test_a_sample_is_built_from_the_properties_examples_when_the_object_has_none():
    schema = {"type": "object", "properties": {"data": {"example": [[4.0]]}, "method": {}}}
    assert sample_from_swagger({"definitions": {"ServiceInput": schema}}) == {"data": [[4.0]]}


def test_an_undecorated_run_publishes_no_sample():
    assert sample_from_swagger(UNDECORATED) is None
    assert sample_from_swagger({"paths": {}}) is None
    assert sample_from_swagger("not a document") is None


class _Server(BaseHTTPRequestHandler):
    swagger: Any = SWAGGER2
    received: list[bytes] = []

    def do_GET(self) -> None:
        body = json.dumps(self.swagger).encode()
        self.send_response(200 if self.path == "/swagger.json" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        _Server.received.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"predictions": [6.0]}')

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Server.received = []
    yield httpd.server_address[1]
    httpd.shutdown()


def test_fetch_sample_reads_the_running_servers_swagger(server: int):
    assert fetch_sample(server) == SAMPLE


def test_invoke_without_a_sample_file_writes_and_sends_the_servers_sample(
    server: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["invoke", "--port", str(server), "--folder", str(tmp_path)]) == 0
    written = tmp_path / "sample-request.json"
    assert json.loads(written.read_text()) == SAMPLE
    assert json.loads(_Server.received[0]) == SAMPLE
    assert "from the server's /swagger.json" in capsys.readouterr().err


def test_invoke_never_overwrites_an_existing_sample(server: int, tmp_path: Path):
    (tmp_path / "sample-request.json").write_text('{"data": [[9.0]]}')
    assert main(["invoke", "--port", str(server), "--folder", str(tmp_path)]) == 0
    assert json.loads(_Server.received[0]) == {"data": [[9.0]]}


SERVER_PYTHON = os.environ.get("AMLDEBUG_PROCESS_PYTHON", "/opt/amlinf/bin/python")
DECORATED = """from inference_schema.schema_decorators import input_schema
from inference_schema.parameter_types.standard_py_parameter_type import (
    StandardPythonParameterType,
)


def init():
    pass


@input_schema("data", StandardPythonParameterType([[1.0, 2.0, 3.0]]))
def run(data):
    return [sum(row) for row in data]
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not Path(SERVER_PYTHON).exists(),
    reason="needs a Python with azureml-inference-server-http (AMLDEBUG_PROCESS_PYTHON)",
)
def test_the_real_inference_server_publishes_the_input_schema_sample(tmp_path: Path):
    (tmp_path / "score.py").write_text(DECORATED)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            SERVER_PYTHON,
            "-m",
            "azureml_inference_server_http.amlserver",
            "--entry_script",
            "score.py",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sample = None
        deadline = time.monotonic() + 60
        while sample is None and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.5)
            sample = fetch_sample(port)
        assert sample == {"data": [[1.0, 2.0, 3.0]]}
    finally:
        server.terminate()
        server.wait(10)
