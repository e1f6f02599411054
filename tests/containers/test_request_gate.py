"""A reload lets the requests in flight answer first (issue 10, item 2): counting the connections
being served from /proc/net/tcp, and the script that waits for them inside the container."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from amldebug.containers.request_gate import _WAIT_SCRIPT, count_established

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  inode
   0: 00000000:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 020011AC:1389 010011AC:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 020011AC:1389 010011AC:D2F2 06 00000000:00000000 00:00000000 00000000     0        0 0 3
   3: 020011AC:9C40 010011AC:1389 01 00000000:00000000 00:00000000 00000000     0        0 3 1
"""


def test_an_established_connection_to_the_server_port_is_a_request_in_flight():
    # Row 1 is served on 5001 (0x1389); the listener (0A), a TIME_WAIT (06) and an outgoing
    # connection to someone else's 5001 are not.
    assert count_established([TCP], 5001) == 1


def test_no_request_in_flight_on_another_port_or_an_empty_table():
    assert count_established([TCP], 5002) == 0
    assert count_established(["header only\n", ""], 5001) == 0


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_the_wait_script_waits_until_the_request_has_answered():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()

    def answer_later() -> None:
        time.sleep(0.8)
        accepted.close()
        client.close()

    threading.Thread(target=answer_later, daemon=True).start()
    started = time.monotonic()
    output = subprocess.run(
        [sys.executable, "-c", _WAIT_SCRIPT, str(port), "10"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    server.close()
    assert output == ["1", "0"]
    assert 0.5 < time.monotonic() - started < 5


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_the_wait_script_gives_up_at_its_limit_and_says_how_many_are_left():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    output = subprocess.run(
        [sys.executable, "-c", _WAIT_SCRIPT, str(port), "0.3"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    client.close()
    server.close()
    assert output == ["1", "1"]
