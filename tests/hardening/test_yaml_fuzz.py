"""Fuzz the YAML loaders: the bounded loader itself, and every loader built on it that reads a
project's YAML (conda environments, deployment and environment YAMLs, scale settings). Any text
loads or is refused, never raises anything else, within bounded time and memory per input
(issue 9, "a fuzz suite for the YAML loaders")."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amldebug.analysis.conda_model import parse_conda_environment
from amldebug.analysis.scale_settings import yaml_scale_settings
from amldebug.bounded_yaml import compose_yaml, load_yaml
from amldebug.deployments.yaml_sources import (
    deployments_from_yaml,
    environment_asset_from_yaml,
)

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
    # What the project loaders look for, so generated text reaches past their first checks.
    "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n",
    "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\n",
    "endpoint_name: e\n",
    "environment_variables:\n  ",
    "environment:\n  ",
    "conda_file: ",
    "image: ",
    "model:\n  path: ",
    "code_configuration:\n  code: ",
    "scoring_script: ",
    "scale_settings:\n  ",
    "type: target_utilization\n",
    "min_instances: ",
    "dependencies:\n  - ",
    "pip:\n      - ",
    "python=3.11",
    "../../",
    "/dev/zero",
]

SECONDS_PER_INPUT = 2.0
BYTES_PER_INPUT = 50_000_000


def check_bounded(function, text: str, *, refusal: type[Exception] = yaml.YAMLError) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        value = function(text)
        repr(value)  # walking the result must be cheap too: this is where an alias bomb explodes
    except refusal:
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


PROJECT = Path("/project")


def project_loaders(text: str) -> object:
    """Every loader of a project's YAML; none may raise, whatever the text."""
    return (
        parse_conda_environment(text),
        yaml_scale_settings(text),
        deployments_from_yaml(PROJECT / "deployment.yml", text),
        environment_asset_from_yaml(PROJECT / "environment.yml", text),
    )


class NeverRaised(Exception):
    pass


@FUZZ
@given(texts)
def test_project_yaml_loaders_are_bounded_and_never_raise(text):
    check_bounded(project_loaders, text, refusal=NeverRaised)


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 12), st.sampled_from(["environment_variables:\n  A: ", "dependencies:\n  - "])
)
def test_project_yaml_loaders_survive_alias_bombs(levels, where):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    head = (
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
    )
    text = head + "\n".join(lines) + f"\n{where}*a{levels}\n"
    check_bounded(project_loaders, text, refusal=NeverRaised)
