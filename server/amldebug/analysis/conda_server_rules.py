"""AML210 and AML211: what the inference server pip installs can and cannot run, by its metadata.

Both rules read `server_releases` (the releases' real Requires-Python and Requires-Dist) instead of
guessing from version numbers: an error only where pip has no release to install or installs a
combination that fails at start, a warning where the build works on an end-of-life Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from amldebug.analysis.conda_model import CondaDependency, CondaEnvironment, version_bounds
from amldebug.analysis.server_releases import (
    AZUREML_DEFAULTS,
    FIRST_PYTHON_OF_THE_BREAKAGES,
    INFERENCE_SERVER,
    Release,
    Stack,
    bounds_of_specifiers,
    installable,
    newest_server_for,
    python_minors,
    releases,
    server_choice,
    specifier_of,
)
from amldebug.diagnostics import Diagnostic, Severity
from amldebug.rules import Rule

# End of security support, from the Python release PEPs (2.7: PEP 373, 3.5-3.9: PEPs 478, 494, 537,
# 569, 596). Later versions are left out until their end is past for every user of this release.
END_OF_LIFE = {
    Version("2.7"): "January 2020",
    Version("3.4"): "March 2019",
    Version("3.5"): "September 2020",
    Version("3.6"): "December 2021",
    Version("3.7"): "June 2023",
    Version("3.8"): "October 2024",
    Version("3.9"): "October 2025",
    Version("3.10"): "October 2026",
}
FIRST_FLASK_2_DEFAULTS = Version("1.44")
FIRST_FLASK_2_SERVER = Version("0.7")

PYTHON_UNSUPPORTED = Rule(
    code="AML210",
    name="python-unsupported",
    severity=Severity.ERROR,
    summary="no release of the inference server allowed here installs on this Python",
    why="""
pip installs only releases whose Requires-Python accepts the environment's Python. When none of
the `azureml-inference-server-http` releases the file allows does (`azureml-inference-server-http`
1.4 and later need Python 3.9; `azureml-defaults` 1.61 requires server 1.4), the image build stops
with `No matching distribution found`. The check reads the real Requires-Python of every server
and `azureml-defaults` release (a table generated from their metadata), follows
`azureml-defaults` to the server release it requires, and is an error only when nothing fits.
Older pins that still install are fine for the build: `azureml-defaults` 1.47 brings server 0.7.x,
which runs on Python 3.6 (AML216 then says that the Python itself is past its end of life).
""",
    fix="Move to a supported Python (3.11 works with every current server release), or pin a "
    "server release that still supports your Python (the message names the newest one).",
    example="""
```yaml
dependencies:
  - python=3.8
  - pip:
      - azureml-inference-server-http==1.5.1
```
```yaml
dependencies:
  - python=3.11
  - pip:
      - azureml-inference-server-http==1.5.1
```
""",
)

OLD_SERVER_FLASK_STACK = Rule(
    code="AML211",
    name="old-server-flask-stack",
    severity=Severity.ERROR,
    summary="an old inference server with a Flask, Jinja2, itsdangerous, Werkzeug or MarkupSafe "
    "it cannot start with",
    why="""
Servers before `azureml-inference-server-http` 0.7 (`azureml-defaults` before 1.44) run on
Flask 1.x, and most of them pin `flask==1.0.3` without capping what Flask needs. pip then
installs the newest Jinja2, itsdangerous and MarkupSafe, which removed what Flask 1.x imports, and
every worker dies at start (measured with the real packages):

- Jinja2 3.1 or newer with Flask 1.x: `ImportError: cannot import name 'Markup' from 'jinja2'`
  (`'escape'` with Flask 1.1);
- itsdangerous 2.1 or newer with Flask 1.x: `ImportError: cannot import name 'json' from
  'itsdangerous'`;
- Werkzeug 2.1 or newer with Flask 1.1: `ImportError: cannot import name 'BaseResponse' from
  'werkzeug.wrappers'`;
- MarkupSafe 2.1 or newer with Jinja2 2.x (what pinning `jinja2<3` or Flask 1.1.4 brings):
  `ImportError: cannot import name 'soft_unicode' from 'markupsafe'`;
- Flask 2 with such a server: `TypeError: register() takes 3 positional arguments but 4 were
  given`.

The check follows the real requirements of each release (a table generated from their metadata):
`azureml-defaults` 1.36-1.43 bring server 0.4.14, which caps all of them, and are fine. These
releases need Python 3.7, so on Python 3.6 pip keeps the older, working ones.
""",
    fix="Move to `azureml-inference-server-http>=0.7` / `azureml-defaults>=1.44`; or, to keep "
    "the old server, cap what the message names (`jinja2<3.1`, `itsdangerous<2.1`, "
    "`werkzeug<2.1`, `markupsafe<2.1`).",
    example="""
```yaml
  - pip:
      - azureml-defaults==1.30.0
```
```yaml
  - pip:
      - azureml-defaults==1.56.0
```
""",
)

PYTHON_END_OF_LIFE = Rule(
    code="AML216",
    name="python-end-of-life",
    severity=Severity.WARNING,
    summary="the environment's Python is past its end of life",
    why="""
A Python past its end of life receives no security fixes (3.8 since October 2024, 3.9 since
October 2025, 3.10 since October 2026), and package releases stop supporting it one by one, so
each rebuild of the image is more likely to fail or to pull an old, vulnerable release. This holds
for every image a deployment builds, batch ones included (AML210 is about the inference server,
which only online deployments run).
""",
    fix="Move to a supported Python (3.11 or newer) and re-test the model with it.",
    example="""
```yaml
dependencies:
  - python=3.8
```
```yaml
dependencies:
  - python=3.11
```
""",
)

RULES: tuple[Rule, ...] = (PYTHON_UNSUPPORTED, OLD_SERVER_FLASK_STACK, PYTHON_END_OF_LIFE)


def python_diagnostics(environment: CondaEnvironment) -> list[Diagnostic]:
    """AML210 (no allowed server installs on this Python) and AML216 (the Python is past its end
    of life), each on the python entry; analysis/scopes.py decides where each applies."""
    pythons = [d for d in environment.conda_entries() if d.name == "python"]
    choice = server_choice(environment)
    diagnostics = []
    for python in pythons:
        minors = python_minors(python)
        if not minors:
            continue
        if choice is not None and not any(installable(choice, minor) for minor in minors):
            diagnostics.append(
                Diagnostic(
                    PYTHON_UNSUPPORTED.code,
                    PYTHON_UNSUPPORTED.severity,
                    _no_server_message(python, minors[-1], choice.server or choice.defaults),
                    python.range,
                )
            )
        if all(minor in END_OF_LIFE for minor in minors):
            newest = minors[-1]
            diagnostics.append(
                Diagnostic(
                    PYTHON_END_OF_LIFE.code,
                    PYTHON_END_OF_LIFE.severity,
                    f"`{python.raw.strip()}`: Python {newest} reached its end of life in "
                    f"{END_OF_LIFE[newest]} and receives no security fixes; move to a supported "
                    "Python (3.11, for instance).",
                    python.range,
                )
            )
    return diagnostics


def _no_server_message(
    python: CondaDependency, minor: Version, entry: CondaDependency | None
) -> str:
    allowed = f" allowed by `{entry.raw.strip()}`" if entry and entry.spec.strip() else ""
    newest = newest_server_for(minor)
    hint = (
        f"the newest for Python {minor} is {newest.version}: move to Python 3.11, or pin that "
        "release"
        if newest
        else "no release supports it: move to Python 3.11"
    )
    return (
        f"`{python.raw.strip()}`: no {INFERENCE_SERVER} release{allowed} installs on Python "
        f"{minor}, so the image build fails (`No matching distribution found`); {hint}."
    )


@dataclass(frozen=True)
class _Breakage:
    package: str
    display: str
    first_bad: Version
    error: str
    flask_from: Version  # applies to Flask releases from here (or Jinja2's, for MarkupSafe)
    below: Version  # ... up to this one


_FLASK_BREAKAGES = (
    _Breakage(
        "jinja2",
        "Jinja2",
        Version("3.1"),
        "ImportError: cannot import name 'Markup' from 'jinja2'",
        Version("0"),
        Version("2"),
    ),
    _Breakage(
        "itsdangerous",
        "itsdangerous",
        Version("2.1"),
        "ImportError: cannot import name 'json' from 'itsdangerous'",
        Version("0"),
        Version("2"),
    ),
    _Breakage(
        "werkzeug",
        "Werkzeug",
        Version("2.1"),
        "ImportError: cannot import name 'BaseResponse' from 'werkzeug.wrappers'",
        Version("1.1"),
        Version("2"),
    ),
)
_JINJA2_BREAKAGE = _Breakage(
    "markupsafe",
    "MarkupSafe",
    Version("2.1"),
    "ImportError: cannot import name 'soft_unicode' from 'markupsafe'",
    Version("0"),
    Version("3"),
)


def flask_diagnostics(environment: CondaEnvironment) -> list[Diagnostic]:
    diagnostics = _flask_2_with_old_server(environment)
    choice = server_choice(environment)
    pythons = [d for d in environment.conda_entries() if d.name == "python"]
    minors = python_minors(pythons[0]) if pythons else ()
    if choice is None or (minors and minors[-1] < FIRST_PYTHON_OF_THE_BREAKAGES):
        return diagnostics
    stacks = installable(choice, minors[-1] if minors else None)
    if not stacks:
        return diagnostics  # nothing installs: AML210 says so
    stack = stacks[0]
    flask_entries = list(environment.find("flask"))
    flask = _picked(releases("flask"), stack.requires("flask"), flask_entries)
    if flask is None:
        return diagnostics  # Flask 2 or newer, or pins that cannot hold together
    found = [_check(b, flask, stack, environment) for b in _FLASK_BREAKAGES]
    jinja2 = _picked(
        releases("jinja2"), _requires(flask, stack, "jinja2"), environment.find("jinja2")
    )
    if jinja2 is not None:
        found.append(_check(_JINJA2_BREAKAGE, jinja2, Stack(None, None), environment))
    problems = [problem for problem in found if problem is not None]
    if not problems:
        return diagnostics
    source = _flask_source(stack, choice_entries(environment), flask_entries, flask)
    unpinned = [(b, None) for b, entry in problems if entry is None]
    for breakage, entry in problems:
        if entry is not None:
            diagnostics.append(
                Diagnostic(
                    OLD_SERVER_FLASK_STACK.code,
                    OLD_SERVER_FLASK_STACK.severity,
                    f"`{entry.raw.strip()}` with Flask {flask.version} ({source[1]}): the server "
                    f"fails at start with `{breakage.error}`.",
                    entry.range,
                )
            )
    if unpinned and source[0] is not None:
        names = " and ".join(b.display for b, _ in unpinned)
        caps = ", ".join(f"`{b.package}<{b.first_bad}`" for b, _ in unpinned)
        errors = "; ".join(f"`{b.error}`" for b, _ in unpinned)
        diagnostics.append(
            Diagnostic(
                OLD_SERVER_FLASK_STACK.code,
                OLD_SERVER_FLASK_STACK.severity,
                f"{source[1]} and nothing caps {names}: pip installs releases that this old "
                f"Flask stack cannot import, and the server fails at start with {errors}. "
                f"Move to {AZUREML_DEFAULTS}>=1.44 / {INFERENCE_SERVER}>=0.7, or add {caps}.",
                source[0].range,
            )
        )
    return diagnostics


def choice_entries(environment: CondaEnvironment) -> tuple[CondaDependency | None, ...]:
    server = next((d for d in environment.pip_entries() if d.name == INFERENCE_SERVER), None)
    defaults = next((d for d in environment.pip_entries() if d.name == AZUREML_DEFAULTS), None)
    return defaults, server


def _requires(release: Release, stack: Stack, name: str) -> list[SpecifierSet]:
    own = [release.requires[name]] if name in release.requires else []
    return own + stack.requires(name)


def _picked(
    candidates: tuple[Release, ...],
    required: list[SpecifierSet],
    entries: tuple[CondaDependency, ...] | list[CondaDependency],
) -> Release | None:
    """The newest release in `candidates` (Flask 1.x, Jinja2 2.x) pip would pick, or None when
    the constraints allow a newer major release than the table holds (pip picks that)."""
    specifiers = list(required)
    for entry in entries:
        specifier = specifier_of(entry)
        if specifier is None:
            return None
        specifiers.append(specifier)
    if not candidates or bounds_of_specifiers(specifiers).empty:
        return None
    after_table = Version(f"{candidates[-1].version.major + 1}")
    if not bounds_of_specifiers(specifiers).all_below(after_table):
        return None
    return next(
        (r for r in reversed(candidates) if all(s.contains(r.version) for s in specifiers)), None
    )


def _check(
    breakage: _Breakage, release: Release, stack: Stack, environment: CondaEnvironment
) -> tuple[_Breakage, CondaDependency | None] | None:
    """(breakage, the user's entry that asks for the bad release or None) when pip installs it."""
    if not breakage.flask_from <= release.version < breakage.below:
        return None
    entries = environment.find(breakage.package)
    specifiers = _requires(release, stack, breakage.package)
    for entry in entries:
        specifier = specifier_of(entry)
        if specifier is None:
            return None
        specifiers.append(specifier)
    bounds = bounds_of_specifiers(specifiers)
    if bounds.empty or bounds.all_below(breakage.first_bad):
        return None
    culprit = next((e for e in entries if version_bounds(e).all_at_least(breakage.first_bad)), None)
    return breakage, culprit


def _flask_source(
    stack: Stack,
    entries: tuple[CondaDependency | None, ...],
    flask_entries: list[CondaDependency],
    flask: Release,
) -> tuple[CondaDependency | None, str]:
    """The entry that brings Flask 1.x, and how to say so."""
    defaults, server = entries
    pinned = next((e for e in flask_entries if version_bounds(e).all_below(Version("2"))), None)
    if pinned is not None:
        return pinned, f"`{pinned.raw.strip()}` installs Flask {flask.version}"
    if stack.server is not None and "flask" in stack.server.requires:
        via = f" through {INFERENCE_SERVER} {stack.server.version}" if server is None else ""
        entry = server or defaults
        return entry, (
            f"`{entry.raw.strip() if entry else INFERENCE_SERVER}` installs Flask "
            f"{flask.version}{via}"
        )
    return defaults, (
        f"`{defaults.raw.strip() if defaults else AZUREML_DEFAULTS}` installs Flask {flask.version}"
    )


def _flask_2_with_old_server(environment: CondaEnvironment) -> list[Diagnostic]:
    old = [
        d
        for d in environment.find(AZUREML_DEFAULTS)
        if version_bounds(d).all_below(FIRST_FLASK_2_DEFAULTS)
    ] + [
        d
        for d in environment.find(INFERENCE_SERVER)
        if version_bounds(d).all_below(FIRST_FLASK_2_SERVER)
    ]
    if not old:
        return []
    return [
        Diagnostic(
            OLD_SERVER_FLASK_STACK.code,
            OLD_SERVER_FLASK_STACK.severity,
            f"`{flask.raw.strip()}` with `{old[0].raw.strip()}`: servers before "
            f"{INFERENCE_SERVER} 0.7 ({AZUREML_DEFAULTS} 1.44) crash under Flask 2 with "
            "`TypeError: register() takes 3 positional arguments but 4 were given`.",
            flask.range,
        )
        for flask in environment.find("flask")
        if version_bounds(flask).all_at_least(Version("2"))
    ]


def pin_fits_the_server(environment: CondaEnvironment, dependency: CondaDependency) -> bool:
    """Whether pip can meet both this pin of a package the server manages (`flask>=3.0`) and
    what the server release pip picks requires of it (`flask~=3.1.0`): then the pin breaks
    nothing and AML208 would be noise. A floor alone (`gunicorn>=21`) fits where the releases
    table does not constrain the package; anything uncertain does not fit."""
    wanted = specifier_of(dependency)
    choice = server_choice(environment)
    if wanted is None or choice is None:
        return False
    pythons = [d for d in environment.conda_entries() if d.name == "python"]
    minors = [minor for python in pythons for minor in python_minors(python)]
    stacks = installable(choice, minors[-1] if minors else None)
    if not stacks:
        return False
    required = stacks[0].requires(dependency.name)
    if not required:
        return all(spec.operator in (">=", ">") for spec in wanted)
    return all(_overlap(wanted, other) for other in required)


def _overlap(first: SpecifierSet, second: SpecifierSet) -> bool:
    """Some version meets both: tried at each version either names and just above it."""
    candidates = set()
    for spec in (*first, *second):
        try:
            version = Version(spec.version.rstrip(".*"))
        except ValueError:
            return False
        release = list(version.release)
        candidates.add(version)
        candidates.add(Version(".".join(map(str, [*release[:-1], release[-1] + 1]))))
        candidates.add(Version(".".join(map(str, [*release, 1]))))
    return any(first.contains(c, prereleases=False) and second.contains(c) for c in candidates)
