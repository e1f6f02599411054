"""Reading the client's messages from stdin for pygls' message loop."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from typing import BinaryIO


class StdinPump:
    """stdin for pygls' message loop, read on one thread in chunks and parsed on the event loop.

    pygls' own reader hands every header line and every body to a thread pool and back, three
    round trips per message; here a message costs one wake-up of the loop, which matters most
    when the machine is busy and each round trip waits for a core. Blocking reads on a thread,
    as pygls does, so stdin and stdout keep their blocking mode whatever the client gave us.
    """

    def __init__(self, stdin: BinaryIO) -> None:
        self._stdin = stdin
        self._stream: asyncio.StreamReader | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._stream = asyncio.StreamReader()
        threading.Thread(
            target=self._pump, args=(loop, self._stream), name="amldebug-stdin", daemon=True
        ).start()

    def _pump(self, loop: asyncio.AbstractEventLoop, stream: asyncio.StreamReader) -> None:
        try:
            # The raw descriptor: a daemon thread blocked inside a buffered reader holds its lock,
            # and the interpreter aborts at exit when it cannot take that lock to close stdin.
            descriptor = self._stdin.fileno()
            read: Callable[[int], bytes] = functools.partial(os.read, descriptor)
        except (AttributeError, OSError, ValueError):  # an in-memory stream (tests)
            read = getattr(self._stdin, "read1", None) or self._stdin.read
        while True:
            try:
                chunk = read(1 << 16)
            except (OSError, ValueError):
                chunk = b""
            try:
                if not chunk:
                    loop.call_soon_threadsafe(stream.feed_eof)
                    return
                loop.call_soon_threadsafe(stream.feed_data, chunk)
            except RuntimeError:  # the loop has closed: the server is exiting
                return

    async def readline(self) -> bytes:
        assert self._stream is not None
        return await self._stream.readline()

    async def readexactly(self, n: int) -> bytes:
        assert self._stream is not None
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError as error:
            return error.partial  # end of input: pygls stops on a short body
