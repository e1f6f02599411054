"""Fuzz the log explainer with bounded time and memory per input (issue 9, "a fuzz suite for ...
the log explainer"): whatever a user pastes, `explain_log` and the traceback finder return within
seconds and a few tens of MB, and never raise.

The inputs repeat the very words the catalogue's patterns look for, thousands of times on a line,
with the separators that made two patterns backtrack quadratically (27 s for one line of
'error during connect: ' * 8000), mixed with real log fragments and random text."""

from __future__ import annotations

import re
import time
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amldebug.troubleshooting import catalogue, failure_details, paths
from amldebug.troubleshooting.catalogue import explain_log
from amldebug.troubleshooting.paths import find_tracebacks

SECONDS_PER_INPUT = 3.0
BYTES_PER_INPUT = 60_000_000


def _catalogue_words() -> list[str]:
    patterns = [p for entry in catalogue.CATALOGUE for p in entry.compiled]
    for module in (paths, failure_details):
        for value in vars(module).values():
            values = value if isinstance(value, tuple) else (value,)
            patterns += [v for v in values if isinstance(v, re.Pattern)]
    words: set[str] = set()
    for pattern in patterns:
        source = pattern.pattern.replace("\\", "")
        words |= set(re.findall(r"[A-Za-z0-9][A-Za-z0-9 :'_./!()\[\]-]*", source))
    return sorted(word for word in words if len(word) >= 2)


WORDS = _catalogue_words()
FRAGMENTS = [
    "Traceback (most recent call last):\n",
    '  File "/var/azureml-app/score.py", line 3, in init\n',
    "ModuleNotFoundError: No module named 'sklearn'\n",
    "Reason: Worker failed to boot.\n",
    "error during connect: ",
    "Exit Code: 137\n",
    "\x1b[31m",
    "\r\n",
]
SEPARATORS = ["", " ", "/", "'", ":", "0", "\n", '"', "\t"]

repeated = st.builds(
    lambda word, separator, times: (word + separator) * times,
    st.sampled_from(WORDS),
    st.sampled_from(SEPARATORS),
    st.integers(1, 6000),
)
logs = st.lists(
    st.one_of(repeated, st.sampled_from(FRAGMENTS), st.text(max_size=60)), min_size=1, max_size=30
).map("".join)


def explain(text: str) -> tuple[list, list]:
    return explain_log(text), find_tracebacks(text)


def check_bounded(text: str) -> None:
    """Time, then memory in a second run: tracemalloc slows Python-level work several times."""
    started = time.perf_counter()
    findings, tracebacks = explain(text)
    took = time.perf_counter() - started
    tracemalloc.start()
    try:
        explain(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    lines = max(1, len(text.split("\n")))
    assert all(1 <= finding.line <= lines for finding in findings)
    assert all(1 <= found.start_line <= found.end_line for found in tracebacks)
    assert took < SECONDS_PER_INPUT, f"{took:.2f} s for {text[:80]!r} ({len(text):,} chars)"
    assert peak < BYTES_PER_INPUT, f"{peak:,} bytes for {text[:80]!r} ({len(text):,} chars)"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(logs)
def test_explain_is_bounded_on_any_log(text):
    check_bounded(text)


def test_the_reported_worst_cases_are_bounded():
    for text in (
        "error during connect: " * 8000,
        ("error during connect: " * 32000)[:690_000],
        "Traceback (most recent call last):\n" * 20_000,
        '  File "/var/azureml-app/score.py", line 3, in init\n' * 20_000,
    ):
        check_bounded(text)
