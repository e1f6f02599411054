"""The debug loop's application layer: one request type built from one option table
(options.py), one runtime protocol over Docker and the local process (runtime.py), and the use
cases both adapters call (the CLI in cli/containers.py, the editor in lsp/debug_loop_commands.py).

The adapters parse and print; everything between (defaults, runtime choice, "the server with this
name", checks before a build, typed results) happens here, once.
"""
