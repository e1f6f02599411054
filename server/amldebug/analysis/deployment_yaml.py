"""AML404: a file that declares an Azure ML deployment (by `$schema` or its keys) but is not YAML
Azure ML can read. Discovery skips such a file, so without this rule the project would look
fine while `az ml online-deployment create -f` stops at once."""

from __future__ import annotations

import yaml

from amldebug.analysis.context import AnalysisContext
from amldebug.bounded_yaml import compose_yaml, yaml_error_at
from amldebug.deployments.yaml_sources import without_template_fields, yaml_kind
from amldebug.diagnostics import Diagnostic, Range, Severity
from amldebug.rules import Rule

INVALID_DEPLOYMENT_YAML = Rule(
    code="AML404",
    name="deployment-yaml-invalid",
    severity=Severity.ERROR,
    summary="a deployment YAML is not valid YAML (or nests or repeats beyond any real file)",
    why="""
`az ml online-deployment create -f` (and `batch-deployment create`) parses the YAML before
anything else; a syntax error (an unclosed bracket, a tab in the indentation, a key without its
colon) stops the deployment at once. amldebug cannot read such a file either, so it cannot tell
which entry script, conda file and model the deployment uses: the debug loop and the other checks
fall back to the folder's conventions. A file nested more than 100 levels deep or expanding its
aliases beyond 200,000 nodes is refused the same way (no real deployment is like that, and such
a file can hang a tool that reads it).
""",
    fix="Correct the YAML at the position the message names.",
    example="""
```yaml
environment:
  conda_file: env.yml
  image: [mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference
```
```yaml
environment:
  conda_file: env.yml
  image: mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference
```
""",
)

RULES = (INVALID_DEPLOYMENT_YAML,)


def analyze_deployment_yaml_syntax(text: str, context: AnalysisContext) -> list[Diagnostic]:
    if yaml_kind(text) not in ("online-deployment", "batch-deployment"):
        return []
    try:
        # A template's `{{FIELD}}`s are filled in before Azure ML reads it: not errors.
        compose_yaml(without_template_fields(text))
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        if isinstance(error, yaml.YAMLError):
            said, line, column = yaml_error_at(error, text)
        else:
            said, line, column = str(error) or type(error).__name__, 0, 0
        return [
            Diagnostic(
                INVALID_DEPLOYMENT_YAML.code,
                INVALID_DEPLOYMENT_YAML.severity,
                f"This deployment YAML cannot be read ({said}): Azure ML rejects it, and amldebug "
                "falls back to the folder's conventions for the entry script, conda file and "
                "model.",
                Range.of(line, column, line, column + 1),
            )
        ]
    return []
