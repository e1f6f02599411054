"""Fuzz the bounded YAML loader: any text loads or raises `yaml.YAMLError`, within bounded time and
memory per input (issue 9, "a fuzz suite for the YAML loaders")."""

from __future__ import annotations

import time
import tracemalloc

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amldebug.bounded_yaml import compose_yaml, load_yaml

PIECES = [
    "a: ",
    "&x ",
    "*x",
    "&y ",
    "*y",
    "<<: ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "- ",
    "\n",
    "\n  ",
    "\n    ",
    ": ",
    "? ",
    "!!str ",
    "!!python/object:os.system ",
    "'q'",
    '"\\u0000"',
    "|\n  text\n",
    "---\n",
    "...\n",
    "# c\n",
    "\r",
    "\ufeff",
    "1e9",
    "0x10",
    "null",
]

SECONDS_PER_INPUT = 2.0
BYTES_PER_INPUT = 50_000_000


def check_bounded(function, text: str) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        value = function(text)
        repr(value)  # walking the result must be cheap too: this is where an alias bomb explodes
    except yaml.YAMLError:
        pass
    finally:
        took = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert took < SECONDS_PER_INPUT, f"{took:.2f} s for {text[:80]!r}"
    assert peak < BYTES_PER_INPUT, f"{peak:,} bytes for {text[:80]!r}"


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=60).map("".join)


@FUZZ
@given(texts)
def test_load_yaml_is_bounded(text):
    check_bounded(load_yaml, text)


@FUZZ
@given(texts)
def test_compose_yaml_is_bounded(text):
    check_bounded(compose_yaml, text)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(2, 12), st.sampled_from(["[", "{k: "]))
def test_generated_alias_bombs_are_bounded(levels, width, opener):
    closer = "]" if opener == "[" else "}"
    lines = [f"l0: &l0 {opener}x{closer}"]
    for level in range(1, levels + 1):
        if opener == "[":
            body = ", ".join([f"*l{level - 1}"] * width)
        else:
            body = ", ".join(f"k{i}: *l{level - 1}" for i in range(width))
            opener_here = "{"
            lines.append(f"l{level}: &l{level} {opener_here}{body}}}")
            continue
        lines.append(f"l{level}: &l{level} [{body}]")
    check_bounded(load_yaml, "\n".join(lines) + "\n")
