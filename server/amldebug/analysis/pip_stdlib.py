"""AML212: a standard-library module listed as a pip requirement (`os`, `json`, `pickle`, ...).

People copy their script's imports into the `pip:` list. For most standard-library names there is
no distribution at all and the image build stops at `No matching distribution found for os`; for
some, the index holds a Python 2 project that fails to build on Python 3, or an unrelated project
that happens to have the name. A few are real backports (`dataclasses`, `typing`, `argparse`,
...) that install harmlessly and are left alone.

Which names are which comes from evidence, not from guessing: `sys.stdlib_module_names` (plus the
modules removed in 3.10-3.12, still found in old files), each checked against the index's list of
project names (2026-12); the projects that exist were classified by their summaries, and the
Python 2 ones by installing them with pip into a Python 3.11 environment.
"""

from __future__ import annotations

import sys

from amldebug.analysis.conda_model import CondaEnvironment
from amldebug.diagnostics import Diagnostic, Severity
from amldebug.rules import Rule

# Removed from the standard library in 3.10-3.12 but still imported by older projects.
_REMOVED_MODULES = frozenset({"binhex", "formatter", "parser", "symbol"})
STDLIB_MODULES = frozenset(
    name for name in sys.stdlib_module_names | _REMOVED_MODULES if not name.startswith("_")
)
# Projects on the index that are real backports of the module: they install and do no harm (the
# standard library's module comes first on sys.path), so no diagnostic.
BACKPORTS = frozenset(
    {
        "argparse",
        "asyncio",
        "configparser",
        "contextvars",
        "dataclasses",
        "hmac",
        "importlib",
        "ipaddress",
        "logging",
        "pathlib",
        "statistics",
        "typing",
        "uuid",
    }
)
# Python 2 projects whose build fails under Python 3 (measured: `pip install NAME` on 3.11).
FAILS_ON_PYTHON_3 = frozenset(
    {"email", "enum", "functools", "http", "multiprocessing", "ssl", "wsgiref"}
)
# Projects that share the name but are something else (their summaries on the index).
UNRELATED = {
    "antigravity": "a joke package",
    "ast": "a protobuf/srcML converter",
    "chunk": "a dot-accessible dictionary",
    "datetime": "Zope's DateTime type",
    "dis": "a test upload",
    "formatter": "a source formatter",
    "graphlib": "a graph API",
    "html": "an HTML generation library",
    "mailbox": "an IMAP client",
    "modulefinder": "a module finder tool",
    "readline": "a statically linked GNU readline build",
    "resource": "a REST resource library",
    "secrets": "LDAP password scripts",
    "selectors": "an HTML/XML extraction library",
    "token": "a REST token client",
    "wave": "an architecture verification tool",
}

STDLIB_AS_PIP_ENTRY = Rule(
    code="AML212",
    name="stdlib-as-pip-dependency",
    severity=Severity.ERROR,
    summary="a standard-library module listed as a pip dependency (`os`, `json`, `pickle`, ...)",
    why="""
Modules such as `os`, `json`, `pickle` or `pathlib` come with Python; they are not packages to
install. For most of them the package index has no distribution at all, and the image build stops
at `ERROR: No matching distribution found for os` after conda has already solved the
environment. For a few the index holds a Python 2 project that fails to build on Python 3
(`email`, `enum`, `functools`, `http`, `multiprocessing`, `ssl`, `wsgiref`), or an unrelated project
that merely shares the name (`html`, `secrets`, `datetime`, ...). Real backports that install
harmlessly (`dataclasses`, `typing`, `argparse`, `pathlib`, ...) are not reported.
""",
    fix="Remove the entry: the module is already there in every Python.",
    example="""
```yaml
  - pip:
      - azureml-inference-server-http==1.5.1
      - os
      - json
```
```yaml
  - pip:
      - azureml-inference-server-http==1.5.1
```
""",
)

RULES: tuple[Rule, ...] = (STDLIB_AS_PIP_ENTRY,)


def stdlib_entries(environment: CondaEnvironment) -> list[Diagnostic]:
    diagnostics = []
    for dependency in environment.pip_entries():
        # Module names are lowercase with underscores; canonical names use hyphens.
        module = dependency.name.replace("-", "_")
        if module not in STDLIB_MODULES or module in BACKPORTS:
            continue
        if module in FAILS_ON_PYTHON_3:
            why = (
                "the project of that name on the index is a Python 2 package whose build fails "
                "on Python 3"
            )
        elif module in UNRELATED:
            why = f"the project of that name on the index is {UNRELATED[module]}, not this module"
        else:
            why = f"no distribution has that name (`No matching distribution found for {module}`)"
        diagnostics.append(
            Diagnostic(
                STDLIB_AS_PIP_ENTRY.code,
                STDLIB_AS_PIP_ENTRY.severity,
                f"`{module}` is part of Python's standard library, not a package to install: "
                f"{why}. Remove the entry.",
                dependency.range,
            )
        )
    return diagnostics
