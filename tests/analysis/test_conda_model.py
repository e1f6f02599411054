"""The conda file model: positions, insert points, spec parsing, version bounds, hostile input."""

from __future__ import annotations

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from amldebug.analysis.conda_model import (
    InsertPoint,
    InvalidSpec,
    parse_conda_environment,
    parse_spec,
    version_bounds,
)
from amldebug.diagnostics import Range

TEXT = """\
name: env
channels:
  - conda-forge
dependencies:   # what the image installs
  - python=3.10
  - conda-forge::NumPy 1.26.*
  # pip next
  - pip:
      - -r requirements.txt
      - Scikit_Learn[alldeps]>=1.4  # trailing
  - pip=24.0
"""


def test_entries_carry_section_canonical_name_spec_and_position() -> None:
    env = parse_conda_environment(TEXT)
    assert env.name == "env" and env.channels == ("conda-forge",)
    by_raw = {d.raw: d for d in env.dependencies}
    numpy = by_raw["conda-forge::NumPy 1.26.*"]
    assert (numpy.name, numpy.spec, numpy.section, numpy.channel) == (
        "numpy",
        "1.26.*",
        "conda",
        "conda-forge",
    )
    assert numpy.range == Range.of(5, 4, 5, 29)
    sklearn = by_raw["Scikit_Learn[alldeps]>=1.4"]
    assert (sklearn.name, sklearn.spec, sklearn.section) == (
        "scikit-learn",
        "[alldeps]>=1.4",
        "pip",
    )
    assert by_raw["-r requirements.txt"].is_option
    assert env.declares("scikit-learn") and env.declares("PIP") and not env.declares("pandas")
    assert env.requirement_files() == ("requirements.txt",)


def test_keys_and_insert_points() -> None:
    env = parse_conda_environment(TEXT)
    assert env.dependencies_key == Range.of(3, 0, 3, 12)
    assert env.pip_key == Range.of(7, 4, 7, 7)
    assert env.pip_item == InsertPoint(7, "  - ")
    assert env.pip_insert == InsertPoint(10, "      - ")
    assert env.conda_insert == InsertPoint(11, "  - ")
    assert env.problems == ()


def test_an_empty_pip_key_gets_an_insert_point_below_it() -> None:
    env = parse_conda_environment("dependencies:\n    - pip:\n    - python\n")
    assert env.pip_insert == InsertPoint(2, "        - ")


def test_flow_style_lists_get_no_insert_points() -> None:
    env = parse_conda_environment("dependencies: [python=3.10, {pip: [numpy]}]\n")
    assert env.conda_insert is None and env.pip_insert is None and env.pip_item is None
    assert [d.name for d in env.dependencies] == ["python", "numpy"]


@pytest.mark.parametrize(
    "text",
    [
        "- " * 100_000 + "x\n",  # block nesting: libyaml's composer would overflow the C stack
        "[" * 100_000,
        "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 3000)),
        "dependencies:\n  - " + "x" * 50_000 + "\n",
    ],
)
def test_hostile_yaml_gives_a_problem_or_a_model_never_a_crash(text: str) -> None:
    env = parse_conda_environment(text)
    assert env.problems or env.dependencies


@pytest.mark.parametrize(
    ("section", "raw", "alternatives", "capped"),
    [
        ("conda", "numpy", (), False),
        ("conda", "numpy=1.2", ((("==", "1.2.*"),),), True),
        ("conda", "numpy==1.2", ((("==", "1.2"),),), True),
        ("conda", "numpy>=1,<2", (((">=", "1"), ("<", "2")),), True),
        ("conda", "numpy 1.2.*", ((("==", "1.2.*"),),), True),
        ("conda", "numpy=1.2=build_0", ((("==", "1.2.*"),),), True),
        ("conda", "conda-forge::numpy", (), False),
        ("conda", "numpy >= 1.2, < 2", (((">=", "1.2"), ("<", "2")),), True),
        ("conda", "numpy 1.2|1.3", ((("==", "1.2"),), (("==", "1.3"),)), True),
        ("pip", "numpy>=1.2", (((">=", "1.2"),),), False),
        ("pip", "numpy~=1.2", ((("~=", "1.2"),),), True),
    ],
)
def test_valid_specs(
    section: str, raw: str, alternatives: tuple[object, ...], capped: bool
) -> None:
    text = f"dependencies:\n  - {raw}\n"
    if section == "pip":
        text = f"dependencies:\n  - pip:\n    - {raw}\n"
    dependency = parse_conda_environment(text).dependencies[0]
    spec = parse_spec(dependency)
    assert spec.alternatives == alternatives
    assert spec.capped is capped


@pytest.mark.parametrize(
    "raw", ["numpy==>1", "numpy=abc def ghi", "numpy>", "numpy 1 2 3", "x=1=b d"]
)
def test_invalid_conda_specs(raw: str) -> None:
    dependency = parse_conda_environment(f"dependencies:\n  - {raw}\n").dependencies[0]
    with pytest.raises(InvalidSpec):
        parse_spec(dependency)


@pytest.mark.parametrize(
    ("raw", "below", "at_least"),
    [
        ("python=3.8", Version("3.9"), Version("3.8")),
        ("python==3.7.10", Version("3.8"), Version("3.7")),
        ("python>=3.7,<3.8", Version("3.8"), Version("3.7")),
        ("python 3.8.*", Version("3.9"), Version("3.8")),
    ],
)
def test_version_bounds(raw: str, below: Version, at_least: Version) -> None:
    dependency = parse_conda_environment(f"dependencies:\n  - {raw}\n").dependencies[0]
    bounds = version_bounds(dependency)
    assert bounds.all_below(below) and not bounds.all_below(at_least)
    assert bounds.all_at_least(at_least)


def test_lower_bound_only_has_no_upper_limit() -> None:
    dependency = parse_conda_environment("dependencies:\n  - python>=3.7\n").dependencies[0]
    bounds = version_bounds(dependency)
    assert not bounds.all_below(Version("100")) and bounds.all_at_least(Version("3.7"))


@pytest.mark.parametrize(
    "raw",
    [
        "numpy",
        "numpy==1.2",
        "numpy >= 1.2 , < 2",
        "numpy[a,b]>=1",
        "numpy>=1,",
        "numpy=1",
        "a-",
        "a_b.c==1.0.0",
        "numpy~=1",
        "numpy==1.2.*",
        "numpy==01.2",
        "x>1<2",
        "numpy== 1.2",
    ],
)
def test_pip_specs_agree_with_packaging(raw: str) -> None:
    """The fast path for plain requirements accepts and reads exactly what PEP 508 does."""
    text = f"dependencies:\n  - pip:\n    - '{raw}'\n"
    dependency = parse_conda_environment(text).dependencies[0]
    try:
        expected: object = {(s.operator, s.version) for s in Requirement(raw).specifier}
    except InvalidRequirement:
        expected = "invalid"
    try:
        spec = parse_spec(dependency)
        found: object = {c for alternative in spec.alternatives for c in alternative}
    except InvalidSpec:
        found = "invalid"
    assert found == expected
