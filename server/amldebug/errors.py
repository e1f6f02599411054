"""Errors a user can act on: what failed, why, and the next step (never a traceback)."""

from __future__ import annotations


class AmlDebugError(Exception):
    """A failure with a message for people. Adapters print `message` and `hint`, then exit."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class UsageError(AmlDebugError):
    """Bad command-line usage (exit code 2, like argparse)."""

    exit_code = 2
