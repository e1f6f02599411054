import sys

if sys.argv[1:] == ["lsp"]:
    # The editor's start-up path (`python -m amldebug lsp`): skip importing every CLI verb (the
    # Docker SDK alone costs a few hundred milliseconds) before the first diagnostics.
    from amldebug.lsp.server import start_language_server

    start_language_server()
    raise SystemExit(0)

from amldebug.cli.main import main

raise SystemExit(main())
