"""`load_yaml` / `compose_yaml`: what `yaml.safe_load` gives for real files, a clear `YAMLError`
for hostile ones (alias bombs, recursive anchors, deep nesting, huge input), fast (issue 9, item 2).
"""

from __future__ import annotations

import sys
import time

import pytest
import yaml

from amldebug.bounded_yaml import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_YAML_CHARS,
    YAMLLimitError,
    compose_yaml,
    load_yaml,
)


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["  a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "environment_variables:\n" + "\n".join(lines) + f"\n  BOMB: *a{levels}\n"


def elapsed(function, *args):
    started = time.perf_counter()
    try:
        function(*args)
    except yaml.YAMLError as error:
        return time.perf_counter() - started, error
    return time.perf_counter() - started, None


REAL_FILES = [
    "name: env\nchannels: [conda-forge]\ndependencies:\n  - python=3.9\n"
    "  - pip:\n    - numpy==1.26\n",
    "$schema: https://x/managedOnlineDeployment.schema.json\nname: blue\nendpoint_name: e\n"
    "model:\n  path: ./model\ncode_configuration:\n  code: ./src\n  scoring_script: score.py\n"
    "environment:\n  conda_file: conda.yml\n  image: mcr.microsoft.com/azureml/base:latest\n"
    "instance_type: Standard_DS3_v2\ninstance_count: 1\n",
    "defaults: &defaults\n  a: 1\n  b: [1, 2]\n"
    "first:\n  <<: *defaults\n  c: 3\nsecond: *defaults\n",
    "",
    "# only a comment\n",
    "- 1\n- 2.5\n- true\n- null\n- 2026-01-02\n- '0x10'\n",
]


@pytest.mark.parametrize("text", REAL_FILES)
def test_real_files_load_as_safe_load_does(text):
    assert load_yaml(text) == yaml.safe_load(text)


def test_compose_keeps_positions():
    root = compose_yaml("name: env\ndependencies:\n  - numpy\n")
    assert isinstance(root, yaml.MappingNode)
    key, value = root.value[1]
    assert (key.value, key.start_mark.line, value.value[0].start_mark.column) == (
        "dependencies",
        1,
        4,
    )


def test_compose_of_an_empty_document_is_none():
    assert compose_yaml("") is None


@pytest.mark.parametrize("function", [load_yaml, compose_yaml])
def test_nine_level_alias_bomb_is_refused_in_milliseconds(function):
    took, error = elapsed(function, alias_bomb())
    assert isinstance(error, YAMLLimitError)
    assert "alias" in str(error)
    assert took < 2.0  # generous for a loaded machine: unbounded, this takes minutes


def test_small_alias_reuse_is_fine():
    value = load_yaml(alias_bomb(levels=2, width=3))["environment_variables"]["BOMB"]
    assert len(value) == 3 and len(value[0]) == 3 and value[0][0] == ["lol"] * 3


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "- &x [1, [2, *x]]\n"])
def test_recursive_anchor_is_refused(text):
    with pytest.raises(YAMLLimitError, match="contains it"):
        load_yaml(text)


def test_too_many_alias_uses_are_refused():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(YAMLLimitError, match="alias uses"):
        load_yaml(text)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        "{" * 10_000,
        "a:\n" + "- " * 10_000 + "x\n",
        "".join(" " * level + "k:\n" for level in range(1_500)),
        "x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    ],
    ids=["flow-list", "flow-map-unclosed", "block-list", "block-map", "just-over"],
)
@pytest.mark.parametrize("function", [load_yaml, compose_yaml])
def test_deep_nesting_gives_a_message_not_a_recursion_error(function, text):
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # the limit must not depend on a generous stack
    try:
        took, error = elapsed(function, text)
    finally:
        sys.setrecursionlimit(limit)
    assert isinstance(error, yaml.YAMLError)
    assert "nest" in str(error)
    assert took < 2.0  # generous for a loaded machine: unbounded, this takes minutes


def test_nesting_at_the_limit_loads():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    value = load_yaml(text)
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == []


def test_huge_input_is_refused_before_parsing():
    took, error = elapsed(load_yaml, "a: " + "x" * MAX_YAML_CHARS)
    assert isinstance(error, YAMLLimitError) and "larger than" in str(error)
    assert took < 0.5


def test_limit_errors_carry_a_position():
    with pytest.raises(yaml.MarkedYAMLError) as raised:
        load_yaml("ok: 1\nbad: &a [*a]\n")
    assert raised.value.problem_mark is not None and raised.value.problem_mark.line == 1


def test_invalid_yaml_raises_the_usual_error():
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [1, 2\n")


def test_python_tags_are_not_constructed():
    with pytest.raises(yaml.YAMLError):
        load_yaml("!!python/object/apply:os.system ['true']\n")
