"""Version specs of conda-file entries: pip (PEP 508) and conda match specs, and their bounds.

Split from `conda_model` (which re-exports these names) so that the rules, the image build and the
server-release checks read a spec the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from amldebug.analysis.conda_model import CondaDependency

Section = Literal["conda", "pip"]

Constraint = tuple[str, str]  # (operator, version): ("==", "1.2.*"), (">=", "1.0"), ("~=", "2.1")

# Operators that cap the versions an entry accepts, so a rebuild cannot pick up a new release.
_CAPPING_OPERATORS = frozenset({"==", "===", "<", "<=", "~="})
_CONDA_VERSION = re.compile(r"^[A-Za-z0-9*][A-Za-z0-9_.+!*]*$")
_CONDA_BUILD = re.compile(r"^[A-Za-z0-9_.*+]+$")
_CONDA_TERM = re.compile(r"^(==|!=|<=|>=|~=|<|>|=)?(.*)$", re.S)
_SPACE_AROUND_OPERATOR = re.compile(r"\s*(==|!=|<=|>=|~=|<|>|,|\|)\s*")
_EXACT_WITH_BUILD = re.compile(r"^(?:==)?([^=<>!~,|]+)=([^=<>!~,|]+)$")
_BRACKET_ITEM = re.compile(
    r"""\s*(?P<key>[A-Za-z_]+)\s*=\s*(?P<value>'[^']*'|"[^"]*"|[^,'"\s\]]+)\s*(?:,|$)"""
)
_PIP_IDENTIFIER = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_PIP_SIMPLE_CONSTRAINT = r"(?:==|!=|<=|>=|<|>)\s*[0-9]+(?:\.[0-9]+)*"
_SIMPLE_PIP = re.compile(
    rf"^{_PIP_IDENTIFIER}\s*(?:\[\s*{_PIP_IDENTIFIER}(?:\s*,\s*{_PIP_IDENTIFIER})*\s*\])?\s*"
    rf"(?P<specs>{_PIP_SIMPLE_CONSTRAINT}(?:\s*,\s*{_PIP_SIMPLE_CONSTRAINT})*)?\s*$"
)
_SIMPLE_PIP_CONSTRAINT = re.compile(r"(==|!=|<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)*)")
_PIP_OPTION_TAIL = re.compile(r"\s+--?[A-Za-z].*$", re.S)


class InvalidSpec(ValueError):
    """An entry whose version part neither pip (PEP 508) nor conda (match spec) accepts."""


@dataclass(frozen=True)
class ParsedSpec:
    # Any of the alternatives (conda's `|`), each a conjunction; () accepts every version.
    alternatives: tuple[tuple[Constraint, ...], ...] = ()
    build: str | None = None
    reference: bool = False  # pip `name @ url`: the URL fixes what is installed

    @property
    def constrained(self) -> bool:
        return self.reference or bool(self.alternatives)

    @property
    def capped(self) -> bool:
        """Every alternative has an upper limit (an exact pin, `<`, `~=`, a `1.2.*` prefix)."""
        if self.reference:
            return True
        return bool(self.alternatives) and all(
            any(op in _CAPPING_OPERATORS for op, _ in alternative)
            for alternative in self.alternatives
        )

    def text(self) -> str:
        return "|".join(",".join(op + version for op, version in alt) for alt in self.alternatives)


def parse_spec(dependency: CondaDependency) -> ParsedSpec:
    """The version constraints of an entry; raises InvalidSpec with the reason."""
    if dependency.section == "pip":
        result = _cached_spec("pip", dependency.raw)
    elif not dependency.name:
        raise InvalidSpec(f"`{dependency.raw.strip()}` is not a conda package spec")
    else:
        result = _cached_spec("conda", dependency.spec)
    if isinstance(result, str):
        raise InvalidSpec(result)
    return result


@lru_cache(maxsize=4096)
def _cached_spec(section: Section, text: str) -> ParsedSpec | str:
    # The language server re-reads the whole file per keystroke; entries rarely change between
    # two of them, and a PEP 508 parse costs tens of microseconds.
    try:
        return _parse_pip_spec(text) if section == "pip" else _parse_conda_spec(text)
    except InvalidSpec as error:
        return str(error)


def is_pip_reference(raw: str) -> bool:
    """pip options, URLs and paths in a `pip:` list: they name no distribution to check."""
    stripped = raw.strip()
    return stripped.startswith(("-", ".", "/", "~")) or "://" in stripped


def _parse_pip_spec(raw: str) -> ParsedSpec:
    text = _PIP_OPTION_TAIL.sub("", raw.strip())  # `pkg==1 --hash=...` as in requirements files
    simple = _SIMPLE_PIP.match(text)
    if simple:
        # Plain `name[extra]>=1.2,<2`: valid PEP 508 by construction, and ten times cheaper than
        # the full parser on the first analysis of a long file.
        constraints = tuple(
            (operator, version)
            for operator, version in _SIMPLE_PIP_CONSTRAINT.findall(simple["specs"] or "")
        )
        return ParsedSpec((constraints,) if constraints else ())
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise InvalidSpec(str(error).splitlines()[0]) from None
    constraints = tuple((spec.operator, spec.version) for spec in requirement.specifier)
    return ParsedSpec((constraints,) if constraints else (), reference=requirement.url is not None)


def _parse_conda_spec(spec: str) -> ParsedSpec:
    text = spec.strip()
    if not text:
        return ParsedSpec()
    if text.startswith("["):
        return _parse_conda_brackets(text)
    if text.startswith("=") and not text.startswith("=="):
        # `name=1.2` and `name=1.2=build`: a version prefix and an optional build string.
        if any(char.isspace() for char in text):
            raise InvalidSpec(
                f"`{text}` has spaces after `=`; write `=VERSION` or `=VERSION=BUILD`"
            )
        version, _, build = text[1:].partition("=")
        if not _CONDA_VERSION.match(version):
            raise InvalidSpec(f"`{version or text}` is not a conda version")
        _check_build(build)
        return ParsedSpec(_version_expression("=" + version), build or None)
    normalized = _SPACE_AROUND_OPERATOR.sub(r"\1", text)
    tokens = normalized.split()
    if len(tokens) > 2:
        raise InvalidSpec(
            f"`{text}` has more than a version and a build string; "
            "write `name 1.2.*`, `name>=1,<2` or `name=1.2=build`"
        )
    expression, build = tokens[0], tokens[1] if len(tokens) == 2 else ""
    exact = _EXACT_WITH_BUILD.match(expression) if not build else None
    if exact:
        expression, build = "==" + exact[1], exact[2]
    _check_build(build)
    return ParsedSpec(_version_expression(expression), build or None)


def _parse_conda_brackets(text: str) -> ParsedSpec:
    if not text.endswith("]") or text.count("[") != 1 or text.count("]") != 1:
        raise InvalidSpec(f"`{text}` is not a `[key=value, ...]` match spec")
    body, position = text[1:-1], 0
    alternatives: tuple[tuple[Constraint, ...], ...] = ()
    build = ""
    while position < len(body):
        match = _BRACKET_ITEM.match(body, position)
        if not match or match.end() == position:
            raise InvalidSpec(f"`{text}` is not a `[key=value, ...]` match spec")
        value = match["value"].strip("'\"")
        if match["key"] == "version":
            alternatives = _version_expression(_SPACE_AROUND_OPERATOR.sub(r"\1", value))
        elif match["key"] == "build":
            build = value
        position = match.end()
    _check_build(build)
    return ParsedSpec(alternatives, build or None)


def _check_build(build: str) -> None:
    if build and not _CONDA_BUILD.match(build):
        raise InvalidSpec(f"`{build}` is not a conda build string")


def _version_expression(expression: str) -> tuple[tuple[Constraint, ...], ...]:
    alternatives = []
    for alternative in expression.split("|"):
        terms: list[Constraint] = []
        for term in alternative.split(","):
            match = _CONDA_TERM.match(term)
            operator, version = (match[1] or "==", match[2]) if match else ("", term)
            if not _CONDA_VERSION.match(version):
                raise InvalidSpec(f"`{term or expression}` is not a conda version constraint")
            if operator == "=":  # conda's `=1.2` is the prefix match `1.2.*`
                operator, version = "==", version if version.endswith("*") else version + ".*"
            if version.strip(".*"):
                terms.append((operator, version))
        alternatives.append(tuple(terms))
    if all(not terms for terms in alternatives):
        return ()
    return tuple(alternatives)


@dataclass(frozen=True)
class VersionBounds:
    """The lowest and highest versions a spec accepts, where its constraints say."""

    lower: Version | None = None
    lower_inclusive: bool = True
    upper: Version | None = None
    upper_inclusive: bool = False

    def all_below(self, version: Version) -> bool:
        if self.upper is None:
            return False
        return self.upper < version or (self.upper == version and not self.upper_inclusive)

    def all_at_least(self, version: Version) -> bool:
        return self.lower is not None and self.lower >= version

    @property
    def empty(self) -> bool:
        """No version satisfies every constraint: the installer fails to resolve."""
        if self.lower is None or self.upper is None:
            return False
        return self.lower > self.upper or (
            self.lower == self.upper and not (self.lower_inclusive and self.upper_inclusive)
        )


def version_bounds(dependency: CondaDependency) -> VersionBounds:
    """Bounds of an entry's versions; unknown sides (invalid spec, `|`, odd versions) stay None."""
    try:
        parsed = parse_spec(dependency)
    except InvalidSpec:
        return VersionBounds()
    if len(parsed.alternatives) != 1:
        return VersionBounds()
    return bounds_of(parsed.alternatives[0])


def bounds_of(constraints: Iterable[Constraint]) -> VersionBounds:
    """Bounds of a conjunction of constraints; `lower > upper` when they cannot all hold."""
    bounds = VersionBounds()
    for operator, text in constraints:
        bounds = _narrow(bounds, operator, text)
    return bounds


def _narrow(bounds: VersionBounds, operator: str, text: str) -> VersionBounds:
    prefix = operator in ("==", "===") and text.endswith("*")
    try:
        version = Version(text.rstrip("*").rstrip(".") if prefix else text)
    except InvalidVersion:
        return bounds
    lower: tuple[Version, bool] | None = None
    upper: tuple[Version, bool] | None = None
    if prefix:
        lower, upper = (version, True), (_bump(version.release, len(version.release)), False)
    elif operator in ("==", "==="):
        lower = upper = (version, True)
    elif operator in (">=", ">"):
        lower = (version, operator == ">=")
    elif operator in ("<=", "<"):
        upper = (version, operator == "<=")
    elif operator == "~=" and len(version.release) >= 2:
        lower, upper = (version, True), (_bump(version.release, len(version.release) - 1), False)
    new = bounds
    if lower and (
        new.lower is None or (lower[0], not lower[1]) > (new.lower, not new.lower_inclusive)
    ):
        new = VersionBounds(lower[0], lower[1], new.upper, new.upper_inclusive)
    if upper and (new.upper is None or (upper[0], upper[1]) < (new.upper, new.upper_inclusive)):
        new = VersionBounds(new.lower, new.lower_inclusive, upper[0], upper[1])
    return new


def _bump(release: tuple[int, ...], length: int) -> Version:
    """The first release after every `release[:length]` prefix match: 3.7 -> 3.8, ~=1.2 -> 2."""
    head = list(release[:length]) or [0]
    head[-1] += 1
    return Version(".".join(map(str, head)))
