"""A start-up cache for the code attrs generates when lsprotocol's classes are created.

Kept apart from the server because it hooks a private attrs function: if attrs changes, the hook
finds nothing and the import runs exactly as without it.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def attrs_code_cache() -> Iterator[None]:
    """Reuse the code attrs generates for lsprotocol's classes from the previous start.

    Importing `lsprotocol.types` builds some 600 attrs classes, and attrs compiles the source of
    each one's `__init__`, `__repr__`, `__eq__`... at class creation: over 800 `compile` calls,
    a quarter of a second of the server's start-up. The code objects are kept in one marshal file
    per Python version, keyed by the generated source itself, so a new attrs or lsprotocol simply
    misses and compiles as before. Any problem with the file: compile as before.
    """
    try:
        import attr._make as attrs_make

        original = attrs_make._compile_and_eval
    except (ImportError, AttributeError):  # another attrs: nothing to hook
        yield
        return
    from importlib.util import MAGIC_NUMBER  # the bytecode format, as .pyc files are keyed

    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "amldebug"
    cache_file = folder / f"lsprotocol-attrs-{MAGIC_NUMBER.hex()}.marshal"
    try:
        cached = marshal.loads(cache_file.read_bytes())
        if not isinstance(cached, dict):
            cached = {}
    except (OSError, ValueError, EOFError, TypeError):
        cached = {}
    used: dict[tuple[str, str], Any] = {}

    def compile_and_eval(
        script: str, globs: Any = None, locs: Any = None, filename: str = ""
    ) -> None:
        key = (filename, script)
        code = cached.get(key)
        if code is None:
            code = compile(script, filename, "exec")
        used[key] = code
        eval(code, globs, locs)  # what attrs does with the code it compiles

    attrs_make._compile_and_eval = compile_and_eval
    try:
        yield
    finally:
        attrs_make._compile_and_eval = original
    # An unknown home leaves "~" unexpanded: never write a cache relative to the working folder.
    if used.keys() != cached.keys() and folder.is_absolute():
        with contextlib.suppress(OSError, ValueError):
            folder.mkdir(parents=True, exist_ok=True)
            partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}")
            partial.write_bytes(marshal.dumps(used))
            os.replace(partial, cache_file)
