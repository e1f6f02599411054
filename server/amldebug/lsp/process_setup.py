"""The server process's own settings: logging to stderr (stdout is the JSON-RPC pipe) and the
garbage collector's thresholds."""

from __future__ import annotations

import gc
import logging
import os
import sys


def configure_logging() -> None:
    level = os.environ.get("AMLDEBUG_LOG_LEVEL", "INFO").upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("amldebug").setLevel(
        level if isinstance(logging.getLevelName(level), int) else "INFO"
    )


# bench/lsp_latency.py repeats these to time ast.parse under the same settings.
GC_THRESHOLDS = (100_000, 50, 100)


def tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector out of the keystroke path.

    Each analysis allocates a syntax tree of some 100,000 objects, which triggers collections that
    traverse everything alive: lsprotocol's ~1,000 classes, the open documents. Freezing what
    exists at start-up (modules, classes) takes it out of those traversals, and a larger first
    threshold lets a whole analysis run between collections; the trees themselves hold no cycles
    and are freed by reference counting. Measured on a 3,000-line score.py: about half the time.
    """
    # No gc.collect() first: start-up leaves no cyclic garbage worth the 50-100 ms it takes.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def return_free_memory() -> None:
    """Give the C heap's free memory back to the system (glibc's malloc_trim; elsewhere nothing).

    A closed 10 MB document leaves its text's and its JSON message's blocks free inside the
    process, where they count as resident memory until something reuses them."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc
        pass
