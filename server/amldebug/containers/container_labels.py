"""The labels amldebug puts on the debug containers it starts (the image's labels are in
dockerfile.py): `ps`, `stop`, `update` and `reload` read them back."""

from __future__ import annotations

LABEL_RUNTIME = "amldebug.runtime"  # on every container amldebug starts: "ours"
LABEL_PORT = "amldebug.port"
LABEL_DEBUG_PORT = "amldebug.debug-port"
LABEL_MOUNTED = "amldebug.mounted"
