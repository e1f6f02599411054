"""The typed contract between the editor and the language server's executeCommand handlers.

`COMMANDS` (registry.py) is the one list of commands; each names a params and a result dataclass
(wire.py turns them into camelCase JSON and back). `dispatch.py` runs a command, `trust.py` knows
whether the workspace is trusted, `generate.py` writes the TypeScript types and the JSON schema.
Importing this package loads no Docker code: it is read at `initialize` and by the generator.
"""

from amldebug.lsp.contract.registry import COMMANDS, CommandContract
from amldebug.lsp.contract.wire import Failure, Success

__all__ = ["COMMANDS", "CommandContract", "Failure", "Success"]
