"""Taken ports: the message names who holds the port and a port that is free instead."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from amldebug.containers.ports import (
    ensure_ports_free,
    find_port_holder,
    free_port,
    is_port_free,
    next_free_port,
    parse_proc_net_tcp,
    port_conflict_error,
)
from amldebug.errors import AmlDebugError


def listening(host: str = "127.0.0.1") -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen()
    return sock


@pytest.fixture
def http_server() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A real other process listening on a port: `python -m http.server`."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while is_port_free(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    yield process, port
    process.terminate()
    process.wait(timeout=10)


def test_a_listening_port_is_taken_and_free_again_after_close():
    sock = listening()
    port = sock.getsockname()[1]
    assert not is_port_free(port)
    sock.close()
    assert is_port_free(port)


def test_holder_is_this_test_process_with_its_command():
    with listening() as sock:
        port = sock.getsockname()[1]
        holder = find_port_holder(port)
        assert holder is not None
        assert holder.pid == os.getpid()
        assert holder.describe().startswith(f"pid {os.getpid()} (")
        assert "python" in (holder.command or "")


def test_conflict_message_names_another_process_and_a_free_port(http_server):
    process, port = http_server
    error = port_conflict_error(port, option="--port", purpose="the scoring port")
    assert error.message == (
        f"Port {port} on 127.0.0.1 (the scoring port) is taken by pid {process.pid} "
        f"({sys.executable} -m http.server {port} --bind 127.0.0.1)."
    )
    suggestion = int(re.search(r"--port (\d+)$", error.hint or "").group(1))  # type: ignore[union-attr]
    assert suggestion != port and is_port_free(suggestion)
    assert f"kill {process.pid}" in (error.hint or "")


def test_a_wildcard_listener_blocks_loopback():
    with listening("0.0.0.0") as sock:
        port = sock.getsockname()[1]
        assert not is_port_free(port, "127.0.0.1")
        holder = find_port_holder(port, "127.0.0.1")
        assert holder is not None and holder.address == "0.0.0.0" and holder.pid == os.getpid()


def test_next_free_port_skips_taken_and_avoided_ports():
    with listening() as sock:
        taken = sock.getsockname()[1]
        first = next_free_port(taken - 1)
        assert first > taken and is_port_free(first)
        assert next_free_port(taken - 1, avoid=[first]) > first


def test_ensure_ports_free_refuses_one_port_for_two_purposes():
    port = free_port()
    with pytest.raises(AmlDebugError) as raised:
        ensure_ports_free(
            [(port, "--port", "the scoring port"), (port, "--debug-port", "the debugger port")]
        )
    assert raised.value.message == f"the debugger port and another port are both {port}."
    assert "--debug-port" in (raised.value.hint or "")


def test_ensure_ports_free_names_the_taken_debug_port():
    with listening() as sock:
        taken = sock.getsockname()[1]
        with pytest.raises(AmlDebugError) as raised:
            ensure_ports_free(
                [
                    (free_port(), "--port", "the scoring port"),
                    (taken, "--debug-port", "the debugger port"),
                ]
            )
        assert raised.value.message.startswith(
            f"Port {taken} on 127.0.0.1 (the debugger port) is taken by pid"
        )
        assert "--debug-port " in (raised.value.hint or "")


def test_proc_net_tcp_lines_decode_to_addresses_and_ports():
    tail = " 00000000:00000000 00:00000000 00000000     0        0"
    ipv4 = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt uid\n"
        f"   0: 0100007F:1F40 00000000:0000 0A{tail} 4242 1\n"
        f"   1: 00000000:162E 00000000:0000 0A{tail} 4343 1\n"
        f"   2: 0100007F:1F40 0100007F:D431 01{tail} 0 1\n"
    )
    ipv6 = (
        "  sl  local_address                         remote_address                        st\n"
        "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 5151 1\n"
        "   1: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 5252 1\n"
    )
    assert [(s.address, s.port, s.inode) for s in parse_proc_net_tcp(ipv4)] == [
        ("127.0.0.1", 8000, 4242),
        ("0.0.0.0", 5678, 4343),
    ]
    assert [(s.address, s.port, s.inode) for s in parse_proc_net_tcp(ipv6)] == [
        ("::1", 8080, 5151),
        ("127.0.0.1", 8081, 5252),
    ]


@pytest.mark.docker
def test_a_port_published_by_a_container_names_the_container():
    docker = pytest.importorskip("docker")
    if shutil.which("docker") is None:
        pytest.skip("no docker client")
    try:
        client = docker.from_env(timeout=5)
        client.ping()
    except Exception as error:
        pytest.skip(f"no Docker engine: {error}")
    images = [tag for image in client.images.list() for tag in image.tags]
    if not images:
        pytest.skip("no local image to run")
    port = free_port()
    name = f"amldebug-ports-test-{os.getpid()}"
    try:
        container = client.containers.run(
            images[0],
            ["sleep", "60"],
            name=name,
            detach=True,
            remove=True,
            ports={"9999/tcp": ("127.0.0.1", port)},
        )
    except docker.errors.DockerException as error:
        pytest.skip(f"cannot run {images[0]} here: {error}")
    try:
        holder = find_port_holder(port)
        assert holder is not None
        assert holder.container == name
        assert port_conflict_error(port).message.startswith(
            f"Port {port} on 127.0.0.1 (the server port) is taken by the Docker container '{name}'"
        )
    finally:
        container.remove(force=True)
