"""`python -m amldebug.lsp`: the language server without loading the CLI's other commands (a
little faster to start than `amldebug lsp`, which does the same)."""

from amldebug.lsp.server import start_language_server

start_language_server()
