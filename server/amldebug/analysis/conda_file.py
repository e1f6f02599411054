"""Rules over the conda environment file (AML201-AML211) and their quick fixes.

The file is read once by `conda_model.parse_conda_environment`; every rule here is a small function
over that model. Quick fixes are line insertions and in-place replacements computed from the
model's positions, so the user's comments, order and indentation survive untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from amldebug.analysis import conda_server_rules, pip_stdlib
from amldebug.analysis.conda_edits import insert_lines, remove_entry_line, requirement_file_names
from amldebug.analysis.conda_model import (
    CondaDependency,
    CondaEnvironment,
    CondaProblem,
    InvalidSpec,
    is_pip_reference,
    parse_conda_environment,
    parse_spec,
)
from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.server_releases import AZUREML_DEFAULTS, INFERENCE_SERVER
from amldebug.diagnostics import Diagnostic, Fix, Severity, TextEdit
from amldebug.rules import Rule

# Installed by the inference server in the versions it is tested with.
SERVER_MANAGED = frozenset(
    {"flask", "jinja2", "werkzeug", "itsdangerous", "markupsafe", "click", "gunicorn"}
)

YAML_PARSE_ERROR = Rule(
    code="AML201",
    name="conda-yaml-invalid",
    severity=Severity.ERROR,
    summary="the conda file is not valid YAML",
    why="""
Azure ML reads the conda file with a YAML parser before it builds anything; a file that does not
parse fails the environment build at once (the image build log ends with a YAML `ScannerError` or
`ParserError`), and nothing else in the file can be checked.
""",
    fix="""
Fix the YAML at the reported line and column. The usual culprits: a tab used for indentation, a
list item indented less than its siblings, a `:` followed by no space, an unclosed `[` or quote.
""",
    example="""
```yaml
# wrong: the second item is indented less than the first
dependencies:
  - python=3.10
 - pip
```
```yaml
dependencies:
  - python=3.10
  - pip
```
""",
)

NOT_AN_ENVIRONMENT = Rule(
    code="AML202",
    name="conda-structure-invalid",
    severity=Severity.ERROR,
    summary="not a conda environment: top level not a mapping, `dependencies` missing or not a "
    "list, `pip:` not a list",
    why="""
`conda env create` expects a mapping with a `dependencies` list whose items are package specs or
one `pip:` mapping holding a list of requirements. Anything else either fails the image build
(conda: `Unable to determine environment`, `'str' object has no attribute 'get'`) or, worse,
builds an image without the packages the script needs, which then fails at the first import.
""",
    fix="""
Write the file as `name`, `channels` and a `dependencies` list; put pip requirements in a list
under a `- pip:` item of `dependencies`.
""",
    example="""
```yaml
# wrong: pip requirements as one string, not a list
dependencies:
  - python=3.10
  - pip:
      azureml-inference-server-http numpy
```
```yaml
dependencies:
  - python=3.10
  - pip
  - pip:
      - azureml-inference-server-http==1.5.1
      - numpy==1.26.4
```
""",
)

PIP_NOT_DECLARED = Rule(
    code="AML203",
    name="pip-not-a-conda-dependency",
    severity=Severity.INFORMATION,
    summary="a `pip:` section but `pip` itself is not a conda dependency (conda installs it "
    "anyway)",
    why="""
conda installs `pip` with `python` (pip is a dependency of conda's python package) and then
installs the `pip:` section into the new environment, so the build works; it only prints *"you
have pip-installed dependencies in your environment file, but you do not list pip itself as one of
your conda dependencies"*. Listing `pip` silences that warning and lets you pin pip's version.
Only an environment without `python` at all has no pip of its own.
""",
    fix="Add `- pip` to the conda dependencies, above the `- pip:` item.",
    example="""
```yaml
dependencies:
  - python=3.10
  - pip:
      - azureml-inference-server-http==1.5.1
```
```yaml
dependencies:
  - python=3.10
  - pip=24.0
  - pip:
      - azureml-inference-server-http==1.5.1
```
""",
    fixable=True,
)

NO_INFERENCE_SERVER = Rule(
    code="AML204",
    name="inference-server-missing",
    severity=Severity.ERROR,
    summary="neither `azureml-inference-server-http` nor `azureml-defaults` among the pip "
    "dependencies",
    why="""
The Azure ML inference images start `azmlinfsrv` (the inference server, gunicorn underneath) from
the environment built out of this file. Without `azureml-inference-server-http` (or
`azureml-defaults`, which depends on it) the container has no server: it exits at start, the
deployment never becomes healthy, and the logs show the server command missing rather than
anything about `score.py`. Requirement files named with `-r FILE` are read too.
""",
    fix="""
Add `azureml-inference-server-http` to the `pip:` list (the quick fix does; pin it once you know
which version works with your Python).
""",
    example="""
```yaml
dependencies:
  - python=3.10
  - pip
  - pip:
      - scikit-learn==1.4.2
```
```yaml
dependencies:
  - python=3.10
  - pip
  - pip:
      - azureml-inference-server-http==1.5.1
      - scikit-learn==1.4.2
```
""",
    fixable=True,
)

INVALID_SPEC = Rule(
    code="AML205",
    name="invalid-version-spec",
    severity=Severity.ERROR,
    summary="invalid version specifier (PEP 508 for pip entries, conda match spec for conda "
    "entries)",
    why="""
The image build stops at the first entry the installer cannot read: pip fails with
`ERROR: Invalid requirement: 'numpy==>1'`, conda with `InvalidMatchSpec`. Both happen minutes into
an Azure ML image build; here they show as you type.
""",
    fix="""
pip entries follow PEP 508: `name`, `name==1.2`, `name>=1,<2`, `name[extra]~=1.2`,
`name @ https://...`. Conda entries are match specs: `name`, `name=1.2` (any 1.2.x),
`name==1.2.3`, `name>=1,<2`, `name 1.2.*`, `name=1.2=build`, `channel::name`.
""",
    example="""
```yaml
dependencies:
  - numpy==>1.26
  - pip:
      - pandas = 2.2
```
```yaml
dependencies:
  - numpy>=1.26,<2
  - pip:
      - pandas==2.2.2
```
""",
)

UNPINNED = Rule(
    code="AML206",
    name="dependency-unpinned",
    severity=Severity.INFORMATION,
    summary="unpinned dependency (pin so that training and scoring use the same versions)",
    why="""
An entry without an upper limit installs whatever is newest on the day the image is built. A
model pickled with one scikit-learn and loaded with another fails in `init()` or, worse, predicts
differently; two builds of the same environment can behave differently.

Counted as unpinned: no version at all, or only lower bounds (`>=1.2`, `>1`, `!=1.3`). Pinned
enough: an exact version (`==1.2.3`, conda `=1.2`), a prefix (`1.2.*`), a compatible release
(`~=1.2`), any upper bound (`<2`), or a pip URL. Not reported: `pip` itself (its version rarely
matters and a pin can fight the solver), the packages the inference server manages (AML208 asks
you *not* to pin those), `ptvsd` (AML209 replaces it), pip options and paths. `python` *is*
reported: an unpinned Python moves to each new release, and packages without wheels for it then
fail to build.
""",
    fix="Pin the version you trained and tested with: `numpy==1.26.4`, conda `numpy=1.26`.",
    example="""
```yaml
  - pip:
      - scikit-learn
```
```yaml
  - pip:
      - scikit-learn==1.4.2
```
""",
)

DUPLICATE = Rule(
    code="AML207",
    name="dependency-duplicated",
    severity=Severity.WARNING,
    summary="the same package listed twice (conda and pip, or twice in one section)",
    why="""
When conda and pip both install a package, pip overwrites conda's files without telling conda,
and the environment ends up with a mix of both builds (typical: numpy or scipy import errors about
missing symbols at `init()`). Twice in one section, the installer picks one of the two specs and
the other is silently ignored or the resolution fails. Not reported when the package is
installed once all the same: the same spec twice, or a pip entry without a version (pip finds
conda's copy already installed and keeps it).
""",
    fix="Keep one entry, preferably in the conda section for compiled packages.",
    example="""
```yaml
dependencies:
  - numpy=1.26
  - pip:
      - numpy==1.26.4
```
```yaml
dependencies:
  - numpy=1.26
  - pip:
      - azureml-inference-server-http==1.5.1
```
""",
)

SERVER_MANAGED_PINNED = Rule(
    code="AML208",
    name="server-package-pinned",
    severity=Severity.WARNING,
    summary="pins a package the inference server manages (`flask`, `jinja2`, `werkzeug`, "
    "`itsdangerous`, `markupsafe`, `click`, `gunicorn`)",
    why="""
`azureml-inference-server-http` requires these in the versions it was tested with. A pin of your
own either conflicts with it (pip: `ResolutionImpossible`, the image build fails) or forces a
version the server does not work with, which breaks the server at start rather than your code
(for Flask 2 with an old server: `TypeError: register() takes 3 positional arguments but 4 were
given`). Not reported when the pin leaves room for what the server release pip picks requires
(`flask>=3.0` with server 1.5.1's `flask~=3.1.0`, read from the releases' metadata), nor for a
floor alone (`gunicorn>=21`) where that metadata holds no requirement.
""",
    fix="Remove the entry, or remove its version and let the inference server choose.",
    example="""
```yaml
  - pip:
      - azureml-inference-server-http==1.5.1
      - flask==1.1.4
```
```yaml
  - pip:
      - azureml-inference-server-http==1.5.1
```
""",
)

PTVSD_LISTED = Rule(
    code="AML209",
    name="ptvsd-dependency",
    severity=Severity.WARNING,
    summary="`ptvsd` listed: use `debugpy`",
    why="""
`ptvsd` is the debugger older Azure ML guides told you to add; it is unmaintained, has no builds
for current Python versions (the image build fails to compile it) and VS Code no longer attaches
to it. `debugpy` is its successor and what `amldebug` attaches to.
""",
    fix="Replace `ptvsd` with `debugpy` (and `ptvsd.enable_attach` with `debugpy.listen` in "
    "the entry script, see AML108).",
    example="""
```yaml
  - pip:
      - ptvsd==4.3.2
```
```yaml
  - pip:
      - debugpy
```
""",
    fixable=True,
)

RULES: tuple[Rule, ...] = (
    YAML_PARSE_ERROR,
    NOT_AN_ENVIRONMENT,
    PIP_NOT_DECLARED,
    NO_INFERENCE_SERVER,
    INVALID_SPEC,
    UNPINNED,
    DUPLICATE,
    SERVER_MANAGED_PINNED,
    PTVSD_LISTED,
    *conda_server_rules.RULES,
    *pip_stdlib.RULES,
)


def analyze_conda_file(text: str, context: AnalysisContext) -> list[Diagnostic]:
    environment = parse_conda_environment(text)
    diagnostics = [_problem_diagnostic(problem) for problem in environment.problems]
    if any(problem.kind == "yaml" for problem in environment.problems):
        return diagnostics
    lines = text.split("\n")
    newline = "\r\n" if "\r\n" in text else "\n"
    # Every check runs; analysis/scopes.py keeps only the rules that apply to how deployments use
    # this file (deployment rules only where one builds it, server rules only where one serves).
    checks: tuple[Callable[[], list[Diagnostic]], ...] = (
        lambda: _pip_not_declared(environment, lines, newline),
        lambda: _no_inference_server(environment, lines, newline, context),
        lambda: _entry_diagnostics(environment),
        lambda: _duplicates(environment),
        lambda: _ptvsd(environment, lines, newline),
        lambda: conda_server_rules.python_diagnostics(environment),
        lambda: conda_server_rules.flask_diagnostics(environment),
        lambda: pip_stdlib.stdlib_entries(environment),
    )
    for check in checks:
        diagnostics.extend(check())
    return diagnostics


def _problem_diagnostic(problem: CondaProblem) -> Diagnostic:
    if problem.kind == "yaml":
        return Diagnostic(
            YAML_PARSE_ERROR.code,
            YAML_PARSE_ERROR.severity,
            f"The conda file is not valid YAML: {problem.message}.",
            problem.range,
        )
    return Diagnostic(
        NOT_AN_ENVIRONMENT.code,
        NOT_AN_ENVIRONMENT.severity,
        f"Not a conda environment: {problem.message}.",
        problem.range,
    )


def _pip_not_declared(
    environment: CondaEnvironment, lines: list[str], newline: str
) -> list[Diagnostic]:
    if environment.pip_key is None or any(d.name == "pip" for d in environment.conda_entries()):
        return []
    point = environment.pip_item or environment.conda_insert
    fixes: tuple[Fix, ...] = ()
    if point is not None:
        fixes = (
            Fix(
                "Add `pip` to the conda dependencies",
                (insert_lines(lines, point, [point.prefix + "pip"], newline),),
                preferred=True,
            ),
        )
    return [
        Diagnostic(
            PIP_NOT_DECLARED.code,
            PIP_NOT_DECLARED.severity,
            "`pip:` lists packages but `pip` is not a conda dependency: conda installs pip with "
            "python and uses it anyway, with a warning; list `pip` to silence it or to pin it.",
            environment.pip_key,
            fixes=fixes,
        )
    ]


def _no_inference_server(
    environment: CondaEnvironment, lines: list[str], newline: str, context: AnalysisContext
) -> list[Diagnostic]:
    if environment.dependencies_key is None or any(
        problem.kind == "pip-not-list" for problem in environment.problems
    ):
        return []
    pip_names = {d.name for d in environment.pip_entries()}
    wanted = {INFERENCE_SERVER, AZUREML_DEFAULTS}
    if pip_names & wanted:
        return []
    for reference in environment.requirement_files():
        names = requirement_file_names(context, reference)
        if names is None or names & wanted:
            # An unreadable requirements file may well hold the server: say nothing rather than
            # raise an error that may be false.
            return []
    message = (
        f"Neither {INFERENCE_SERVER} nor {AZUREML_DEFAULTS} is among the pip dependencies: the "
        "image has no inference server to load the entry script."
    )
    if any(d.name in wanted for d in environment.conda_entries()):
        message += " It is listed as a conda package; Azure ML installs it with pip."
    fix = _add_inference_server(environment, lines, newline)
    return [
        Diagnostic(
            NO_INFERENCE_SERVER.code,
            NO_INFERENCE_SERVER.severity,
            message,
            environment.dependencies_key,
            fixes=(fix,) if fix else (),
        )
    ]


def _add_inference_server(
    environment: CondaEnvironment, lines: list[str], newline: str
) -> Fix | None:
    title = f"Add {INFERENCE_SERVER} to the pip dependencies"
    # Unpinned on purpose: pip then picks the newest release that supports the environment's
    # Python, where a pin written here could be one that does not.
    if environment.pip_insert is not None:
        point = environment.pip_insert
        edit = insert_lines(lines, point, [point.prefix + INFERENCE_SERVER], newline)
        return Fix(title, (edit,), preferred=True)
    if environment.pip_key is not None or environment.conda_insert is None:
        return None  # a flow-style `pip: [...]` or `dependencies: [...]`: no lines to add to
    point = environment.conda_insert
    new_lines = [] if environment.declares("pip") else [point.prefix + "pip"]
    new_lines += [
        point.prefix + "pip:",
        " " * (len(point.prefix) + 2) + "- " + INFERENCE_SERVER,
    ]
    return Fix(title, (insert_lines(lines, point, new_lines, newline),), preferred=True)


def _entry_diagnostics(environment: CondaEnvironment) -> list[Diagnostic]:
    """AML205 invalid spec, AML206 unpinned, AML208 server-managed pin: one pass per entry."""
    diagnostics = []
    for dependency in environment.dependencies:
        if dependency.section == "pip" and is_pip_reference(dependency.raw):
            continue
        try:
            spec = parse_spec(dependency)
        except InvalidSpec as error:
            kind = "pip requirement" if dependency.section == "pip" else "conda package spec"
            diagnostics.append(
                Diagnostic(
                    INVALID_SPEC.code,
                    INVALID_SPEC.severity,
                    f"`{dependency.raw.strip()}` is not a valid {kind}: {error}",
                    dependency.range,
                )
            )
            continue
        if dependency.name in SERVER_MANAGED:
            if spec.constrained and not conda_server_rules.pin_fits_the_server(
                environment, dependency
            ):
                diagnostics.append(
                    Diagnostic(
                        SERVER_MANAGED_PINNED.code,
                        SERVER_MANAGED_PINNED.severity,
                        f"`{dependency.raw.strip()}` pins {dependency.name}, which "
                        f"{INFERENCE_SERVER} installs in the version it works with; this pin can "
                        "break the image build or the server.",
                        dependency.range,
                    )
                )
            continue
        if dependency.name in ("pip", "ptvsd") or spec.capped:  # ptvsd: AML209 says it all
            continue
        if spec.constrained:
            message = (
                f"`{dependency.raw.strip()}` has no upper limit: each image build installs the "
                "newest release, which may not be the one you trained and tested with."
            )
        else:
            message = (
                f"`{dependency.name}` is not pinned: each image build installs the newest release, "
                "which may not be the one you trained and tested with."
            )
        diagnostics.append(Diagnostic(UNPINNED.code, UNPINNED.severity, message, dependency.range))
    return diagnostics


def _duplicates(environment: CondaEnvironment) -> list[Diagnostic]:
    first: dict[str, CondaDependency] = {}
    diagnostics = []
    ordered = sorted(environment.dependencies, key=lambda d: d.range.start)
    for dependency in ordered:
        if dependency.is_option:
            continue
        earlier = first.setdefault(dependency.name, dependency)
        if earlier is dependency or _harmless_duplicate(earlier, dependency):
            continue
        where = (
            f"twice in the {dependency.section} section"
            if earlier.section == dependency.section
            else "in both the conda and the pip section"
        )
        diagnostics.append(
            Diagnostic(
                DUPLICATE.code,
                DUPLICATE.severity,
                f"`{dependency.name}` is listed {where} (first on line "
                f"{earlier.range.start.line + 1}); keep one entry.",
                dependency.range,
            )
        )
    return diagnostics


def _harmless_duplicate(first: CondaDependency, second: CondaDependency) -> bool:
    """Listed twice but installed once: the same spec twice, or a pip entry without a version
    (pip finds conda's copy already installed and leaves it: no mix of two builds)."""
    if _spelled_alike(first.raw) == _spelled_alike(second.raw):
        return True
    if first.section == second.section:
        return False
    pip_entry = first if first.section == "pip" else second
    try:
        return not parse_spec(pip_entry).constrained
    except InvalidSpec:
        return False


def _spelled_alike(raw: str) -> str:
    # `Scikit_Learn == 1.4.2` and `scikit-learn==1.4.2` are one spec (PEP 503 names).
    return re.sub(r"[-_.]+", "-", "".join(raw.split()).lower())


def _ptvsd(environment: CondaEnvironment, lines: list[str], newline: str) -> list[Diagnostic]:
    diagnostics = []
    has_debugpy = environment.declares("debugpy")
    for dependency in environment.find("ptvsd"):
        if has_debugpy:
            fix = remove_entry_line(lines, dependency, "Remove ptvsd (debugpy is already listed)")
        else:
            # ptvsd's version numbers mean nothing for debugpy, so the spec is dropped.
            fix = Fix(
                "Replace ptvsd with debugpy",
                (TextEdit(dependency.range, "debugpy"),),
                preferred=True,
            )
        diagnostics.append(
            Diagnostic(
                PTVSD_LISTED.code,
                PTVSD_LISTED.severity,
                "`ptvsd` is deprecated and unmaintained: use `debugpy`, the debugger VS Code "
                "attaches to.",
                dependency.range,
                fixes=(fix,) if fix else (),
            )
        )
    return diagnostics
