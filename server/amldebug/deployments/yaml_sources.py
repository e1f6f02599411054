"""Deployments and environments declared in YAML and JSON: Azure ML v2 deployment YAMLs (online
and batch), v2 environment YAMLs, and v1 `inferenceconfig.json`.

The text is composed into YAML nodes, never constructed into Python objects: aliases are not
expanded (an alias bomb costs nothing), and each value keeps its line for diagnostics. Only
scalars are accepted where scalars are expected.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from amldebug.bounded_yaml import compose_yaml
from amldebug.deployments.build_context import conda_file_of_build
from amldebug.deployments.model import (
    Deployment,
    DeploymentKind,
    EnvironmentSource,
    ModelSource,
    Origin,
)

MAX_DEPLOYMENT_TEXT = 256 * 1024
_MAX_ENVIRONMENT_VARIABLES = 500
# Parallel job tasks are looked for this deep (pipeline -> jobs -> step -> task) and this wide.
_MAX_TASK_DEPTH = 6
_MAX_TASK_KEYS = 500

YamlKind = Literal["online-deployment", "batch-deployment", "environment", "job", "other"]

_ONLINE_MARKERS = ("instance_type", "instance_count", "scale_settings", "request_settings")
_BATCH_MARKERS = (
    "mini_batch_size",
    "output_action",
    "output_file_name",
    "error_threshold",
    "max_concurrency_per_instance",
    "retry_settings",
)
_PLACEHOLDER = re.compile(r"<[A-Za-z_][\w-]*>|\$\{|\{\{|\$[A-Z_]{2,}")
_TOP_KEY = re.compile(r"^([A-Za-z_$][\w$-]*)\s*:", re.M)


@dataclass(frozen=True)
class EnvironmentAsset:
    """A v2 environment YAML (`name`, `conda_file`, `image`): what `azureml:<name>` refers to."""

    name: str | None
    source: EnvironmentSource


def yaml_kind(text: str) -> YamlKind:
    """What an Azure ML YAML declares, from its top-level keys and `$schema` (cheap, no parse)."""
    head = text[:20000]
    schema = re.search(r"^\$schema\s*:\s*(\S+)", head, re.M)
    schema_name = schema.group(1).lower() if schema else ""
    if "batchdeployment" in schema_name:
        return "batch-deployment"
    if "onlinedeployment" in schema_name:
        return "online-deployment"
    if "environment.schema" in schema_name:
        return "environment"
    if "job" in schema_name or "component" in schema_name or "pipeline" in schema_name:
        return "job"
    keys = set(_TOP_KEY.findall(head))
    if "dependencies" in keys:
        return "other"  # a conda file
    if "command" in keys or "jobs" in keys:
        return "job"
    if keys & set(_BATCH_MARKERS):
        return "batch-deployment"
    if "code_configuration" in keys or keys & set(_ONLINE_MARKERS):
        return "online-deployment"
    if ("conda_file" in keys or "image" in keys or "build" in keys) and "name" in keys:
        return "environment"
    return "other"


def compose(text: str) -> yaml.Node | None:
    """The YAML node tree of `text` (a template's `{{FIELD}}`s read as placeholders), or None
    when it is not YAML, too large or too deep."""
    if len(text) > MAX_DEPLOYMENT_TEXT:
        return None
    try:
        return compose_yaml(without_template_fields(text))
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


_TEMPLATE_FIELD = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")


def without_template_fields(text: str) -> str:
    """A template's `{{ENDPOINT_NAME}}` fields (a script fills them in with sed or envsubst
    before `az ml ... create`; `{{ACR_NAME}}.azurecr.io/...` is not YAML as it stands) as
    placeholder scalars of the same length (`<ENDPOINT_NAME__>`), so positions stay put."""
    if "{{" not in text:
        return text

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1).replace(".", "_")
        return "<" + name.ljust(len(match.group(0)) - 2, "_") + ">"

    return _TEMPLATE_FIELD.sub(placeholder, text)


def deployments_from_yaml(
    path: Path, text: str, overrides: Mapping[str, str] | None = None, origin: Origin | None = None
) -> list[Deployment]:
    """The deployment a v2 deployment YAML declares (one at most), paths from its own folder.
    `overrides` are the CLI's `--set key=value` (`code_configuration.code`,
    `code_configuration.scoring_script`, `environment`, `name`), said at `origin`."""
    kind = yaml_kind(text)
    if kind == "job" and "entry_script" in text:
        return [] if overrides else _parallel_tasks(path, text)
    if kind not in ("online-deployment", "batch-deployment"):
        return []
    root = compose(text)
    if not isinstance(root, yaml.MappingNode):
        return []
    sets = dict(overrides or {})
    base = path.parent
    deployment_kind: DeploymentKind = "batch" if kind == "batch-deployment" else "online"
    how = f"v2 {deployment_kind} deployment YAML"
    entry, code_root = None, None
    code_configuration = mapping_value(root, "code_configuration")
    code_node = mapping_value(code_configuration, "code")
    code = _set_or_scalar(sets, "code_configuration.code", code_node)
    script_node = mapping_value(code_configuration, "scoring_script")
    script = _set_or_scalar(sets, "code_configuration.scoring_script", script_node)
    if code is not None and not code.startswith("azureml:"):
        code_root = _join(base, code)
    # A code asset or a placeholder (`code: <CODE_DIR>`) leaves the script's folder unknown.
    has_code = code_node is not None or "code_configuration.code" in sets
    if script and (not has_code or code_root is not None):
        entry = _join(code_root or base, script)
    if "environment" in sets:
        reference = sets["environment"]
        environment = (
            None
            if is_placeholder(reference)
            else EnvironmentSource("registry", origin or Origin(path, 0, how), reference=reference)
        )
    else:
        environment = _environment(path, mapping_value(root, "environment"), how)
    models = _models(path, mapping_value(root, "model"), how)
    return [
        Deployment(
            kind=deployment_kind,
            origin=origin or Origin(path, _line(root), how),
            entry_script=entry,
            code_root=code_root,
            environment=environment,
            models=models,
            model_reference=_scalar(mapping_value(root, "model")),
            environment_variables=_variables(mapping_value(root, "environment_variables")),
            name=sets.get("name") or _scalar(mapping_value(root, "name")),
        )
    ]


def _set_or_scalar(sets: Mapping[str, str], key: str, node: yaml.Node | None) -> str | None:
    if key in sets:
        value = sets[key].strip()
        return None if not value or is_placeholder(value) else value
    return _scalar(node)


def _parallel_tasks(path: Path, text: str) -> list[Deployment]:
    """The drivers of parallel jobs (`type: parallel`, in a pipeline's `jobs:` or a component):
    `task: {type: run_function, code:, entry_script:, environment:}` runs `run(mini_batch)` like
    a batch deployment, with paths from the YAML's own folder."""
    root = compose(text)
    found: list[Deployment] = []
    how = "v2 parallel job task"
    for task in _mappings_under(root, "task"):
        script = _scalar(mapping_value(task, "entry_script"))
        code = _scalar(mapping_value(task, "code"))
        if not script or (code is not None and code.startswith("azureml:")):
            continue
        code_root = _join(path.parent, code) if code else path.parent
        found.append(
            Deployment(
                kind="batch",
                origin=Origin(path, _line(task), how),
                entry_script=_join(code_root, script),
                code_root=code_root,
                environment=_environment(path, mapping_value(task, "environment"), how),
            )
        )
    return found


def _mappings_under(node: yaml.Node | None, key: str, depth: int = 0) -> list[yaml.MappingNode]:
    """Every mapping stored under `key` in the tree (bounded depth and breadth)."""
    if not isinstance(node, yaml.MappingNode) or depth > _MAX_TASK_DEPTH:
        return []
    found: list[yaml.MappingNode] = []
    for key_node, value_node in node.value[:_MAX_TASK_KEYS]:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            if isinstance(value_node, yaml.MappingNode):
                found.append(value_node)
        else:
            found.extend(_mappings_under(value_node, key, depth + 1))
    return found


def environment_asset_from_yaml(path: Path, text: str) -> EnvironmentAsset | None:
    if yaml_kind(text) != "environment":
        return None
    root = compose(text)
    if not isinstance(root, yaml.MappingNode):
        return None
    source = _environment(path, root, "v2 environment YAML")
    if source is None:
        return None
    return EnvironmentAsset(_scalar(mapping_value(root, "name")), source)


def deployments_from_inference_config(path: Path, text: str) -> list[Deployment]:
    """A v1 inference configuration (`az ml model deploy --ic inferenceconfig.json`)."""
    if len(text) > MAX_DEPLOYMENT_TEXT:
        return []
    try:
        data = json.loads(text) if path.suffix == ".json" else None
    except ValueError:
        data = None
    if data is None:
        node = compose(text)
        data = _plain(node) if node is not None else None
    if not isinstance(data, dict):
        return []
    how = "v1 inference configuration"
    base = path.parent
    source_directory = _first_str(data, "sourceDirectory", "source_directory")
    code_root = _join(base, source_directory) if source_directory else None
    script = _first_str(data, "entryScript", "entry_script")
    if not script:
        return []
    origin = Origin(path, _json_line(text, script), how)
    environment = None
    conda = _first_str(data, "condaFile", "conda_file")
    if conda:
        environment = EnvironmentSource("conda", origin, conda_file=_join(code_root or base, conda))
    elif isinstance(data.get("environment"), (dict, str)):
        environment = EnvironmentSource("unknown", origin)
    return [
        Deployment(
            kind="online",
            origin=origin,
            entry_script=_join(code_root or base, script),
            code_root=code_root or base,
            environment=environment,
        )
    ]


# --- YAML nodes --------------------------------------------------------------------------------


def _environment(path: Path, node: yaml.Node | None, how: str) -> EnvironmentSource | None:
    if node is None:
        return None
    base = path.parent
    reference = _scalar(node)
    if reference is not None:
        origin = Origin(path, _line(node), how)
        return EnvironmentSource("registry", origin, reference=reference)
    if not isinstance(node, yaml.MappingNode):
        return None
    conda_node = mapping_value(node, "conda_file")
    conda = _scalar(conda_node)
    image = _scalar(mapping_value(node, "image"))
    origin = Origin(path, _line(conda_node or node), how)
    if conda:
        return EnvironmentSource("conda", origin, conda_file=_join(base, conda), image=image)
    build = mapping_value(node, "build")
    if isinstance(build, yaml.MappingNode):
        context = _scalar(mapping_value(build, "path"))
        built = (
            conda_file_of_build(
                _join(base, context), _scalar(mapping_value(build, "dockerfile_path"))
            )
            if context and "://" not in context
            else None
        )
        if built is not None:
            how = f"{how}, conda file installed by the build context's Dockerfile"
            return EnvironmentSource("conda", Origin(path, _line(build), how), conda_file=built)
        return EnvironmentSource("unknown", origin, image=image)
    if image:
        return EnvironmentSource("image", origin, image=image)
    return EnvironmentSource("unknown", origin)


def _models(path: Path, node: yaml.Node | None, how: str) -> tuple[ModelSource, ...]:
    if not isinstance(node, yaml.MappingNode):
        return ()
    model_path = _scalar(mapping_value(node, "path"))
    if not model_path:
        return ()
    return (
        ModelSource(
            _join(path.parent, model_path),
            Origin(path, _line(mapping_value(node, "path") or node), how),
            name=_scalar(mapping_value(node, "name")),
            version=_scalar(mapping_value(node, "version")),
        ),
    )


def _variables(node: yaml.Node | None) -> dict[str, str]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    found: dict[str, str] = {}
    for key, value in node.value[:_MAX_ENVIRONMENT_VARIABLES]:
        name = _scalar(key)
        if name is None or not isinstance(value, yaml.ScalarNode):
            continue  # only scalars where scalars are expected
        found[name] = "" if value.tag.endswith(":null") else str(value.value)
    return found


def mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node under `key` of a mapping node (None for anything else)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _scalar(node: yaml.Node | None) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
        return None
    value = str(node.value).strip()
    return None if not value or is_placeholder(value) else value


def is_placeholder(value: str) -> bool:
    """`<SCORING_SCRIPT>`, `${MODEL_DIR}`, `{{env}}`: a template a script fills in, not a name."""
    return _PLACEHOLDER.search(value) is not None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line if node.start_mark is not None else 0


def _plain(node: yaml.Node, depth: int = 0) -> object:
    """A small node tree as plain data (no aliases expanded twice: a node seen once is enough)."""
    if depth > 8:
        return None
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return {
            str(k.value): _plain(v, depth + 1)
            for k, v in node.value[:200]
            if isinstance(k, yaml.ScalarNode)
        }
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, depth + 1) for v in node.value[:200]]
    return None


def _first_str(data: dict[str, object], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _json_line(text: str, value: str) -> int:
    at = text.find(value)
    return text.count("\n", 0, at) if at >= 0 else 0


def _join(base: Path, relative: str) -> Path:
    """`relative` from `base`, normalised (`..` folded) without following links."""
    return Path(os.path.normpath(base / os.path.expanduser(relative)))
