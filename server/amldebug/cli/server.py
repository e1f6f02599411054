"""`amldebug lsp`: the language server on stdio (what the VS Code extension starts)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lsp", help="start the language server on stdio")
    parser.set_defaults(func=run_language_server)


def run_language_server(args: argparse.Namespace) -> int:
    from amldebug.lsp.server import start_language_server

    start_language_server()
    return 0
