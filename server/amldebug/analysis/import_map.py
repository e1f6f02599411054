"""Which distribution provides an imported module, and what a declared distribution brings along.

Pure lookups over `amldebug/data/import_names.json`, a table generated from real package metadata
by `python -m amldebug.analysis.import_table_build` (import names from each wheel's file list,
Requires-Dist with extras markers, Requires-Python per release family). No import machinery, no
network. Distribution names are canonical (PEP 503: lower case, runs of `-_.` as one `-`).

`classify_import` answers AML116's question with three verdicts, and says MISSING only when it is
certain: the module belongs to distributions the table knows, the whole dependency closure of
what the environment declares is known (from the table, or from a resolver's result), and nothing
in that closure provides the module. Anything less certain is UNKNOWN: a false "missing" error
sends users to add packages they do not need, or to switch the extension off.
"""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

_CANONICAL_RUN = re.compile(r"[-_.]+")

# Conda packages that come with the interpreter or hold no Python modules: known, and empty.
_CONDA_ONLY: dict[str, tuple[str, ...]] = {
    "python": ("pip", "setuptools", "wheel"),
    **{
        name: ()
        for name in (
            "cudatoolkit",
            "cudnn",
            "nccl",
            "mkl",
            "mkl-include",
            "nomkl",
            "libgcc",
            "libgcc-ng",
            "libstdcxx-ng",
            "libgomp",
            "openssl",
            "ca-certificates",
            "certifi-certs",
            "gcc",
            "gxx",
            "make",
            "cmake",
            "git",
            "curl",
            "tk",
            "libffi",
            "zlib",
            "xz",
            "sqlite",
            "readline",
            "ncurses",
            "bzip2",
            "ld-impl-linux-64",
            "_libgcc-mutex",
            "_openmp-mutex",
            "tzdata-conda",
        )
    },
}
# Python versions a closure is taken for when the environment's is not known: the union, so
# that a dependency only some of them install still counts as provided.
_ANY_PYTHON = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
_LINUX = {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


class ImportStatus(enum.Enum):
    PROVIDED = "provided"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ImportVerdict:
    status: ImportStatus
    # PROVIDED: the distribution that provides the module (None for the standard library and
    # local modules). MISSING: the distribution to add, always a name the table knows.
    # UNKNOWN: a known distribution that would provide it, when there is one.
    distribution: str | None = None
    # Why, in a few words (for information diagnostics and tests).
    reason: str = ""


def canonical_distribution(name: str) -> str:
    """PEP 503 form of a distribution name: `Scikit_Learn` -> `scikit-learn`."""
    return _CANONICAL_RUN.sub("-", name.strip()).lower()


def is_standard_library(module: str) -> bool:
    """True for modules of the standard library (`os`, `json`, `os.path`, `__future__`)."""
    top = module.split(".", 1)[0]
    return top in sys.stdlib_module_names or top == "__future__"


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Release:
    version: Version | None
    requires: tuple[str, ...]
    requires_python: str | None
    pinned: bool


@dataclass(frozen=True)
class _Distribution:
    imports: tuple[str, ...]
    releases: tuple[_Release, ...] | None  # None: the dependencies are not known


class ImportTable:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.aliases: dict[str, str] = dict(raw.get("aliases", {}))
        self.preferred: dict[str, str] = dict(raw.get("preferred", {}))
        self.distributions: dict[str, _Distribution] = {}
        self.providers: dict[str, list[str]] = {}
        for name, entry in raw.get("distributions", {}).items():
            imports = tuple(entry.get("imports", [name.replace("-", "_")]))
            releases = entry.get("releases", [])
            self.distributions[name] = _Distribution(
                imports,
                None if releases is None else tuple(_release(r) for r in releases),
            )
            for module in imports:
                self.providers.setdefault(module, []).append(name)

    def canonical(self, name: str) -> str:
        name = canonical_distribution(name)
        return self.aliases.get(name, name)

    def knows(self, distribution: str) -> bool:
        return distribution in self.distributions or distribution in _CONDA_ONLY

    def providers_of(self, module: str) -> list[str]:
        """Known distributions that provide `module` or a package above or below it."""
        parts = module.split(".")
        found: list[str] = []
        for length in range(len(parts), 0, -1):
            found.extend(self.providers.get(".".join(parts[:length]), ()))
        if not found and len(parts) <= 2:
            # `import azure.keyvault` (a namespace) is there when any sub-package is.
            prefix = module + "."
            found = [d for m, ds in self.providers.items() if m.startswith(prefix) for d in ds]
        preferred = self._preferred(module)
        return sorted(set(found), key=lambda d: (d != preferred, d))

    def _preferred(self, module: str) -> str | None:
        parts = module.split(".")
        for length in range(len(parts), 0, -1):
            chosen = self.preferred.get(".".join(parts[:length]))
            if chosen:
                return chosen
        return None

    def provides(self, distribution: str, module: str) -> bool:
        known = self.distributions.get(distribution)
        if known is None:
            return False
        return any(
            module == name or module.startswith(name + ".") or name.startswith(module + ".")
            for name in known.imports
        )

    def requirements(
        self, distribution: str, specifier: SpecifierSet | None, extras: frozenset[str], python: str
    ) -> list[Requirement] | None:
        """What `distribution` (the releases matching `specifier`) needs on Linux, or None."""
        if distribution in _CONDA_ONLY:
            return [Requirement(name) for name in _CONDA_ONLY[distribution]]
        known = self.distributions.get(distribution)
        if known is None or known.releases is None:
            return None
        releases = [
            r
            for r in known.releases
            if specifier is None or (r.version is not None and r.version in specifier)
        ] or list(known.releases)
        pythons = (python,) if python else _ANY_PYTHON
        needed: list[Requirement] = []
        for release in releases:
            for line in release.requires:
                requirement = _parse(line)
                if requirement is not None and _applies(requirement.marker, extras, pythons):
                    needed.append(requirement)
        return needed


def _release(raw: Mapping[str, Any]) -> _Release:
    try:
        version: Version | None = Version(str(raw.get("version")))
    except InvalidVersion:
        version = None
    return _Release(
        version,
        tuple(raw.get("requires", ())),
        raw.get("requires_python"),
        bool(raw.get("pinned")),
    )


@lru_cache(maxsize=4096)
def _parse(line: str) -> Requirement | None:
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None


def _applies(marker: Marker | None, extras: frozenset[str], pythons: tuple[str, ...]) -> bool:
    if marker is None:
        return True
    for python in pythons:
        for extra in ("", *extras):
            environment = {
                **_LINUX,
                "python_version": python,
                "python_full_version": python + ".0",
                "extra": extra,
            }
            try:
                if marker.evaluate(environment):
                    return True
            except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
                return True
    return False


@lru_cache(maxsize=1)
def table() -> ImportTable:
    text = resources.files("amldebug").joinpath("data/import_names.json").read_text("utf-8")
    return ImportTable(json.loads(text))


# --- what a conda file's entries bring ------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    name: str
    extras: frozenset[str] = frozenset()
    specifier: SpecifierSet | None = None


_CONDA_ENTRY = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def parse_declared(entry: str) -> Declared | None:
    """A pip requirement (`azureml-sdk[automl]==1.47`) or a conda spec (`numpy=1.21`); None when
    it names nothing (an option, a URL)."""
    text = entry.split("#", 1)[0].strip()
    if not text or text.startswith("-"):
        return None
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        match = _CONDA_ENTRY.match(text.split("::")[-1])
        if match is None:
            return None
        extras = frozenset(e.strip() for e in (match.group(2) or "[]")[1:-1].split(",") if e)
        return Declared(canonical_distribution(match.group(1)), extras, _conda_specifier(match[3]))
    if requirement.url:
        return Declared(canonical_distribution(requirement.name), frozenset(requirement.extras))
    if requirement.marker is not None and not _applies(requirement.marker, frozenset(), ("3.10",)):
        return None
    specifier = requirement.specifier if str(requirement.specifier) else None
    name = canonical_distribution(requirement.name)
    return Declared(name, frozenset(requirement.extras), specifier)


def _conda_specifier(text: str) -> SpecifierSet | None:
    text = text.strip().split(" ", 1)[0]
    if not text:
        return None
    if text.startswith("=") and not text.startswith("=="):
        text = "==" + text[1:].rstrip("*").rstrip(".") + ".*"
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


@dataclass(frozen=True)
class Closure:
    distributions: frozenset[str]
    # Every member's dependencies (or the resolver's closure) and import names are known.
    known: bool
    unknown: tuple[str, ...] = ()


def closure(
    declared: Iterable[str | Declared],
    *,
    resolved: Iterable[str] | None = None,
    python: str = "",
) -> Closure:
    """The distributions installed when `declared` are, and whether that is certain."""
    entries = tuple(
        d if isinstance(d, Declared) else parse_declared(d) or Declared("", frozenset())
        for d in declared
    )
    resolved_names = frozenset(canonical_distribution(n) for n in resolved or ())
    return _closure(entries, resolved_names, python)


@lru_cache(maxsize=128)
def _closure(entries: tuple[Declared, ...], resolved: frozenset[str], python: str) -> Closure:
    known_table = table()
    seen: set[tuple[str, frozenset[str]]] = set()
    members: set[str] = {known_table.canonical(name) for name in resolved}
    unknown: set[str] = set()
    pending = [
        (known_table.canonical(d.name), d.extras, d.specifier) for d in entries if d.name != ""
    ]
    if any(d.name == "" for d in entries):
        unknown.add("(an entry that names no distribution)")
    while pending:
        name, extras, specifier = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        members.add(name)
        if name in resolved and not extras:
            continue  # the resolver's closure already holds what it needs
        needed = known_table.requirements(name, specifier, extras, python)
        if needed is None:
            if name not in resolved:
                unknown.add(name)
            continue
        for requirement in needed:
            pending.append(
                (
                    known_table.canonical(requirement.name),
                    frozenset(requirement.extras),
                    requirement.specifier if str(requirement.specifier) else None,
                )
            )
    unknown |= {m for m in members if not known_table.knows(m) and m not in resolved}
    return Closure(frozenset(members), not unknown, tuple(sorted(unknown)))


# --- the verdict ----------------------------------------------------------------------------


def classify_import(
    module: str,
    declared: Iterable[str | Declared],
    *,
    resolved: Iterable[str] | None = None,
    local_modules: frozenset[str] | set[str] = frozenset(),
    python: str = "",
) -> ImportVerdict:
    """Does an environment declaring `declared` (pip requirements or conda specs, extras and
    pins kept) provide `import module`? `resolved`: a resolver's full closure (distribution
    names), when there is one. `local_modules`: top-level names importable from the code root
    and the entry script's folder, never packages."""
    module = module.strip()
    top = module.split(".", 1)[0]
    if not module or module.startswith("."):
        return ImportVerdict(ImportStatus.PROVIDED, reason="relative import")
    if top in local_modules or module in local_modules:
        return ImportVerdict(ImportStatus.PROVIDED, reason="local module")
    if is_standard_library(module):
        return ImportVerdict(ImportStatus.PROVIDED, reason="standard library")
    known_table = table()
    members = closure(declared, resolved=resolved, python=python)
    providers = known_table.providers_of(module)
    for member in sorted(members.distributions):
        if known_table.provides(member, module):
            return ImportVerdict(ImportStatus.PROVIDED, member, "provided")
    by_name = _same_name_member(module, members.distributions, known_table)
    if by_name is not None:
        return ImportVerdict(ImportStatus.PROVIDED, by_name, "a distribution of that name")
    if not providers:
        return ImportVerdict(ImportStatus.UNKNOWN, None, "no known distribution provides it")
    if not members.known:
        return ImportVerdict(
            ImportStatus.UNKNOWN,
            providers[0],
            "what these entries install is not known: " + ", ".join(members.unknown[:3]),
        )
    return ImportVerdict(ImportStatus.MISSING, providers[0], "nothing installed provides it")


def _same_name_member(module: str, members: frozenset[str], known: ImportTable) -> str | None:
    """A member named like the module (`foo_bar` from `foo-bar`): the PyPI convention, trusted
    even over the table (an sdist's file list can hide what it installs)."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        name = known.canonical(canonical_distribution("-".join(parts[:length])))
        if name in members:
            return name
    return None


# --- older helpers (the log explainer; the quick fix's name) --------------------------------


def distributions_for_import(module: str) -> tuple[str, ...]:
    """Known distributions that provide `module` (the first is the one to suggest); for a module
    the table does not know, the distribution of the same name (a guess, never used by a fix)."""
    module = module.strip()
    if not module or module.startswith(".") or is_standard_library(module):
        return ()
    providers = table().providers_of(module)
    if providers:
        return tuple(providers)
    parts = module.split(".")
    depth = {"azureml": 2, "azure": 3, "google": 3}.get(parts[0], 1)
    return (canonical_distribution("-".join(parts[: min(depth, len(parts))])),)


def distribution_for_import(module: str) -> str | None:
    """The distribution to install for `import module`, or None for the standard library:
    `sklearn` -> `scikit-learn`, `azureml.core.model` -> `azureml-core`, `os` -> None."""
    found = distributions_for_import(module)
    return found[0] if found else None


def is_known_distribution(name: str) -> bool:
    """True when the table has `name` (so a fix may add it)."""
    return table().canonical(name) in table().distributions


def provided_by(declared_names: Iterable[str]) -> set[str]:
    """The distributions installed when `declared_names` are: themselves and what they pull in."""
    return set(closure(tuple(declared_names)).distributions)


def known_distributions() -> frozenset[str]:
    """Every distribution name the table knows (a fix may add these), with conda aliases."""
    known = table()
    return frozenset(known.distributions) | frozenset(known.aliases)
