"""`amldebug` entry point: builds the argument parser from each command module and runs one verb."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from amldebug import __version__
from amldebug.cli import check, containers, launch_config, project, server, troubleshooting
from amldebug.errors import AmlDebugError

# Each module exposes `register(subparsers)`, adding verbs whose `func(args) -> int` runs them.
COMMAND_MODULES = (check, project, server, launch_config, containers, troubleshooting)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amldebug",
        description="Catch Azure ML deployment mistakes and debug score.py in a local container.",
    )
    parser.add_argument("--version", action="version", version=f"amldebug {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except AmlDebugError as error:
        print(f"amldebug: {error.message}", file=sys.stderr)
        if error.hint:
            print(error.hint, file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("amldebug: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:
        message = _message_for(error)
        if message is None:
            raise  # a bug: keep the traceback
        print(f"amldebug: {message}", file=sys.stderr)
        return 1


def _message_for(error: Exception) -> str | None:
    """A sentence for failures that are the environment's, not amldebug's; None for bugs."""
    # The Docker SDK's refusals (an invalid image reference, a name in use); its HTTP errors are
    # OSErrors too, so this comes first.
    if type(error).__module__.startswith("docker."):
        return f"Docker refused: {getattr(error, 'explanation', None) or error}"
    if isinstance(error, OSError):  # a folder or file the user cannot read or write: say which
        where = f" {error.filename}" if error.filename else ""
        return f"cannot access{where}: {error.strerror or error}"
    if isinstance(error, RecursionError):
        return "an input is nested too deeply to process."
    return None


if __name__ == "__main__":
    raise SystemExit(main())
