"""How long work reports progress and learns it was cancelled, without knowing who listens.

The CLI prints; the language server turns reports into `$/progress`; tests collect them.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Cancelled(Exception):
    """Raised inside long work when the user cancelled it."""


class ProgressReporter(Protocol):
    def step(self, message: str, percentage: int | None = None) -> None:
        """A new phase of the work ("Building image", "Waiting for the server")."""

    def log(self, line: str) -> None:
        """One line of streamed output (a build log line, a container log line)."""


class NullReporter:
    def step(self, message: str, percentage: int | None = None) -> None:
        pass

    def log(self, line: str) -> None:
        pass


class RecordingReporter:
    """Keeps every report; for tests and for returning logs in structured results."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.lines: list[str] = []

    def step(self, message: str, percentage: int | None = None) -> None:
        self.steps.append(message)

    def log(self, line: str) -> None:
        self.lines.append(line)


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when cancelled meanwhile (use instead of time.sleep)."""
        return self._event.wait(seconds)
