"""Before a reload restarts the worker: let the requests it is serving answer first.

A reload kills the worker, and a request in flight (paused at a breakpoint, or still computing)
would get "Empty reply from server". The inference server runs gunicorn's sync worker, which closes
each connection once it has answered, so a TCP connection established to the server's port inside
the container is a request being served. We count those (the container's /proc/net/tcp and tcp6)
and wait until there are none, up to a limit (issue 10, item 2).
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass

from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import INFERENCE_PORT

_ESTABLISHED = "01"  # the `st` column of /proc/net/tcp


def count_established(tables: list[str], port: int) -> int:
    """Connections in state ESTABLISHED whose local port is `port`, in /proc/net/tcp{,6} texts."""
    count = 0
    for table in tables:
        for row in table.splitlines()[1:]:
            fields = row.split()
            if len(fields) < 4 or fields[3] != _ESTABLISHED:
                continue
            try:
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
            except (IndexError, ValueError):
                continue
            if local_port == port:
                count += 1
    return count


# Runs inside the container, with count_established's own source: one implementation, tested here.
_WAIT_SCRIPT = (
    "import sys, time\n"
    f"_ESTABLISHED = {_ESTABLISHED!r}\n"
    + inspect.getsource(count_established)
    + r"""
def tables():
    found = []
    for name in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(name) as handle:
                found.append(handle.read())
        except OSError:
            pass
    return found
port, limit = int(sys.argv[1]), float(sys.argv[2])
deadline = time.monotonic() + limit
first = open_now = count_established(tables(), port)
while open_now and time.monotonic() < deadline:
    time.sleep(0.1)
    open_now = count_established(tables(), port)
print(first, open_now)
"""
)


@dataclass(frozen=True)
class RequestWait:
    in_flight: int  # requests being served when the wait began
    still_open: int  # requests still being served when it ended (the reload interrupts them)
    seconds: float


def wait_for_requests(
    engine: DockerEngine, name: str, *, timeout: float, port: int = INFERENCE_PORT
) -> RequestWait:
    """Wait up to `timeout` seconds until the server in `name` serves no request."""
    started = time.monotonic()
    result = engine.exec(
        name,
        [
            "/bin/sh",
            "-c",
            'exec "$(command -v python || command -v python3)" -c "$0" "$@"',
            _WAIT_SCRIPT,
            str(port),
            str(timeout),
        ],
    )
    numbers = [int(x) for x in result.output.split() if x.isdigit()]
    if result.exit_code != 0 or len(numbers) != 2:
        # No Python or no /proc in the container: nothing to wait for that we can see.
        return RequestWait(0, 0, time.monotonic() - started)
    return RequestWait(numbers[0], numbers[1], time.monotonic() - started)
