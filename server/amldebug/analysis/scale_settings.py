"""AKS and online-endpoint scale settings: out of range (AML401), what they absorb (AML402).

Checked where they are written: `AksWebservice.deploy_configuration(...)` keyword arguments in any
Python file (only literal values; a variable could hold anything), and `scale_settings` /
`request_settings` in a v2 online deployment YAML. The arithmetic is `troubleshooting.capacity`'s.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import yaml

from amldebug.analysis.context import AnalysisContext
from amldebug.bounded_yaml import compose_yaml
from amldebug.diagnostics import Diagnostic, Range, Severity
from amldebug.rules import Rule

SCALE_OUT_OF_RANGE = Rule(
    code="AML401",
    name="scale-setting-out-of-range",
    severity=Severity.ERROR,
    summary="autoscale setting out of range",
    why=(
        "Azure ML rejects these values when the deployment is created or updated, after the image "
        "was built, or (for some) accepts them and never scales: a target utilization must be a "
        "percentage from 1 to 100, the minimum replica count must be at least 1 and not above the "
        "maximum, and a replica must accept at least one concurrent request."
    ),
    fix=(
        "- `autoscale_target_utilization` / `target_utilization_percentage`: 1-100 (default 70; "
        "lower "
        "it, e.g. to 30, to scale earlier when you get HTTP 503).\n"
        "- `autoscale_min_replicas` / `min_instances` ≥ 1 and ≤ the maximum.\n"
        "- `replica_max_concurrent_requests` / `max_concurrent_requests_per_instance` ≥ 1.\n"
        "- Size them with `amldebug replicas --target-rps R --request-time S --max-concurrent C "
        "--target-utilization U`."
    ),
    example=(
        "```python\n"
        "# wrong: 0.7 is read as 0.7 %, and min is above max\n"
        "AksWebservice.deploy_configuration(autoscale_enabled=True, "
        "autoscale_target_utilization=0.7,\n"
        "                                   autoscale_min_replicas=5, autoscale_max_replicas=2)\n"
        "# right\n"
        "AksWebservice.deploy_configuration(autoscale_enabled=True, "
        "autoscale_target_utilization=70,\n"
        "                                   autoscale_min_replicas=2, autoscale_max_replicas=5)\n"
        "```\n\n"
        "```yaml\n"
        "scale_settings:\n"
        "  type: target_utilization\n"
        "  min_instances: 2\n"
        "  max_instances: 5\n"
        "  target_utilization_percentage: 70\n"
        "```"
    ),
)
SCALE_CAPACITY = Rule(
    code="AML402",
    name="scale-capacity",
    severity=Severity.INFORMATION,
    summary="what these scale settings absorb",
    why=(
        "HTTP 503 on AKS means the replicas were busy and the autoscaler had not caught up. The "
        "autoscaler adds a replica when the replicas are `target utilization` busy; each replica "
        "serves `max concurrent` requests at once, so the settings decide how many requests per "
        "second are absorbed before scaling and at the maximum. This note states those numbers so "
        "they can be compared with the traffic you expect."
    ),
    fix=(
        "Nothing to fix: it is information. To change the capacity, raise the minimum (capacity "
        "ready for spikes) or maximum replicas, or lower the target utilization (more headroom). "
        "`amldebug replicas` computes the replicas for a target load."
    ),
    example=(
        "With min 1, max 3, 1 concurrent request per replica and 70 % target utilization, the "
        "deployment keeps 0.7 requests in flight per replica before scaling: 0.7 requests/s per "
        "replica for 1-second requests, 2.1 requests/s at the maximum of 3 replicas, with 30 % "
        "headroom for spikes."
    ),
)

RULES: tuple[Rule, ...] = (SCALE_OUT_OF_RANGE, SCALE_CAPACITY)

# AksWebservice.deploy_configuration defaults (azureml-core).
_V1_DEFAULTS = {
    "autoscale_min_replicas": 1,
    "autoscale_max_replicas": 10,
    "autoscale_target_utilization": 70,
    "autoscale_refresh_seconds": 1,
    "replica_max_concurrent_requests": 1,
    "scoring_timeout_ms": 60000,
}
# v2 online deployment defaults.
_V2_DEFAULTS = {
    "min_instances": 1,
    "max_instances": 1,
    "target_utilization_percentage": 70,
    "polling_interval": 1,
    "max_concurrent_requests_per_instance": 1,
    "request_timeout_ms": 5000,
}
_V1_KEYWORDS = (
    "autoscale_enabled",
    "autoscale_min_replicas",
    "autoscale_max_replicas",
    "autoscale_target_utilization",
    "autoscale_refresh_seconds",
    "replica_max_concurrent_requests",
    "scoring_timeout_ms",
    "num_replicas",
)


@dataclass(frozen=True)
class ScaleSettings:
    """The settings in one place, with where each value is written (None: the default applies)."""

    min_replicas: int | None
    max_replicas: int | None
    utilization_percent: float | None
    max_concurrent: int | None
    timeout_ms: int | None
    autoscale: bool
    defaults: dict[str, Any]
    names: dict[str, str]  # role -> the spelling in this file, e.g. "min" -> "min_instances"
    ranges: dict[str, Range]  # role -> the value's range
    anchor: Range  # where the information diagnostic and the hover sit
    extent: tuple[int, int]  # first and last 0-based line the hover answers on

    def value(self, role: str) -> Any:
        explicit = {
            "min": self.min_replicas,
            "max": self.max_replicas,
            "utilization": self.utilization_percent,
            "concurrent": self.max_concurrent,
            "timeout": self.timeout_ms,
        }[role]
        return explicit if explicit is not None else self.defaults[self.names[role]]


# --- Python: AksWebservice.deploy_configuration(...) -------------------------------------------


def analyze_python_scale_settings(text: str, context: AnalysisContext) -> list[Diagnostic]:
    if "deploy_configuration" not in text:
        return []
    diagnostics: list[Diagnostic] = []
    for settings in _python_settings(text):
        diagnostics.extend(_check(settings))
    return diagnostics


def _python_settings(text: str) -> list[ScaleSettings]:
    # The entry-script rules parsed this very text a moment ago: their cached tree, read-only.
    from amldebug.analysis.entry_script import parsed_tree

    tree = parsed_tree(text)
    if tree is None:
        return []
    lines = text.splitlines()
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "deploy_configuration" or not _names_aks_webservice(node.func.value):
            continue
        values: dict[str, Any] = {}
        ranges: dict[str, Range] = {}
        for keyword in node.keywords:
            if keyword.arg not in _V1_KEYWORDS:
                continue
            try:
                values[keyword.arg] = ast.literal_eval(keyword.value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue  # not a literal: the value is only known when the code runs
            ranges[keyword.arg] = _node_range(keyword.value, lines)
        names = {
            "min": "autoscale_min_replicas",
            "max": "autoscale_max_replicas",
            "utilization": "autoscale_target_utilization",
            "concurrent": "replica_max_concurrent_requests",
            "timeout": "scoring_timeout_ms",
        }
        autoscale = values.get("autoscale_enabled")
        # azureml-core turns autoscaling on by default unless num_replicas is given.
        enabled = bool(autoscale) if isinstance(autoscale, bool) else "num_replicas" not in values
        attr_line = node.func.end_lineno - 1 if node.func.end_lineno else node.lineno - 1
        attr_end = node.func.end_col_offset or 0
        anchor = Range.of(
            attr_line, max(attr_end - len("deploy_configuration"), 0), attr_line, attr_end
        )
        found.append(
            ScaleSettings(
                min_replicas=_int_or_none(values.get(names["min"])),
                max_replicas=_int_or_none(values.get(names["max"])),
                utilization_percent=_number_or_none(values.get(names["utilization"])),
                max_concurrent=_int_or_none(values.get(names["concurrent"])),
                timeout_ms=_int_or_none(values.get(names["timeout"])),
                autoscale=enabled,
                defaults=_V1_DEFAULTS,
                names=names,
                ranges={role: ranges[name] for role, name in names.items() if name in ranges},
                anchor=anchor,
                extent=(node.lineno - 1, (node.end_lineno or node.lineno) - 1),
            )
        )
    return found


def _names_aks_webservice(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "AksWebservice"
    if isinstance(node, ast.Attribute):
        return node.attr == "AksWebservice"
    return False


def _node_range(node: ast.expr, lines: list[str]) -> Range:
    line = node.lineno - 1
    end_line = (node.end_lineno or node.lineno) - 1
    return Range.of(
        line,
        _char(lines, line, node.col_offset),
        end_line,
        _char(lines, end_line, node.end_col_offset or node.col_offset),
    )


def _char(lines: list[str], line: int, byte_offset: int) -> int:
    # ast offsets count UTF-8 bytes; diagnostics count characters.
    if 0 <= line < len(lines):
        return len(lines[line].encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
    return byte_offset


# --- YAML: v2 online deployment ----------------------------------------------------------------


def analyze_deployment_yaml(text: str, context: AnalysisContext) -> list[Diagnostic]:
    settings = _yaml_settings(text)
    return _check(settings) if settings is not None else []


def _yaml_settings(text: str) -> ScaleSettings | None:
    try:
        root = compose_yaml(text)
    except yaml.YAMLError:
        return None  # invalid YAML, or beyond bounded_yaml's limits: nothing to check
    if not isinstance(root, yaml.MappingNode):
        return None
    top = _mapping(root)
    scale = top.get("scale_settings")
    request = top.get("request_settings")
    if scale is None and request is None:
        return None
    values: dict[str, Any] = {}
    ranges: dict[str, Range] = {}
    scale_type = None
    for block in (scale, request):
        if block is None or not isinstance(block[1], yaml.MappingNode):
            continue
        for name, (_, value_node) in _mapping(block[1]).items():
            if not isinstance(value_node, yaml.ScalarNode):
                continue
            parsed = _scalar_value(value_node)
            if name == "type":
                scale_type = str(parsed)
                continue
            values[name] = parsed
            ranges[name] = Range.of(
                value_node.start_mark.line,
                value_node.start_mark.column,
                value_node.end_mark.line,
                value_node.end_mark.column,
            )
    names = {
        "min": "min_instances",
        "max": "max_instances",
        "utilization": "target_utilization_percentage",
        "concurrent": "max_concurrent_requests_per_instance",
        "timeout": "request_timeout_ms",
    }
    anchor_key = (scale or request)[0]  # type: ignore[index]
    last_nodes = [b[1] for b in (scale, request) if b is not None]
    extent_start = min(b[0].start_mark.line for b in (scale, request) if b is not None)
    extent_end = max(node.end_mark.line for node in last_nodes)
    anchor = Range.of(
        anchor_key.start_mark.line,
        anchor_key.start_mark.column,
        anchor_key.end_mark.line,
        anchor_key.end_mark.column,
    )
    return ScaleSettings(
        min_replicas=_int_or_none(values.get(names["min"])),
        max_replicas=_int_or_none(values.get(names["max"])),
        utilization_percent=_number_or_none(values.get(names["utilization"])),
        max_concurrent=_int_or_none(values.get(names["concurrent"])),
        timeout_ms=_int_or_none(values.get(names["timeout"])),
        autoscale=scale_type == "target_utilization"
        or (scale is not None and scale_type is None and "min_instances" in values),
        defaults=_V2_DEFAULTS,
        names=names,
        ranges={role: ranges[name] for role, name in names.items() if name in ranges},
        anchor=anchor,
        extent=(extent_start, extent_end),
    )


def _scalar_value(node: yaml.ScalarNode) -> Any:
    """The Python value of a composed scalar, as `safe_load` would give it."""
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError):
        return node.value


def _mapping(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {
        key.value: (key, value) for key, value in node.value if isinstance(key, yaml.ScalarNode)
    }


# --- the checks, shared by both spellings ------------------------------------------------------


def _check(settings: ScaleSettings) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    names = settings.names

    def error(role: str, message: str) -> None:
        diagnostics.append(
            Diagnostic(
                SCALE_OUT_OF_RANGE.code,
                SCALE_OUT_OF_RANGE.severity,
                message,
                settings.ranges.get(role, settings.anchor),
            )
        )

    utilization = settings.utilization_percent
    if utilization is not None and not 1 <= utilization <= 100:
        hint = (
            f" ({_plain(utilization)} looks like a fraction: write {_plain(utilization * 100)} "
            f"for {_plain(utilization * 100)} %)"
            if 0 < utilization < 1
            else ""
        )
        error(
            "utilization",
            f"{names['utilization']} is {_plain(utilization)}: it must be a percentage from 1 to "
            f"100{hint}.",
        )
    if settings.min_replicas is not None and settings.min_replicas < 1:
        error("min", f"{names['min']} is {settings.min_replicas}: at least 1 replica must run.")
    if settings.max_replicas is not None and settings.max_replicas < 1:
        error("max", f"{names['max']} is {settings.max_replicas}: it must be at least 1.")
    low, high = settings.value("min"), settings.value("max")
    if isinstance(low, int) and isinstance(high, int) and low > high >= 1 and low >= 1:
        role = "min" if "min" in settings.ranges else "max"
        written = "" if "max" in settings.ranges else ", the default"
        error(role, f"{names['min']} ({low}) is above {names['max']} ({high}{written}).")
    if settings.max_concurrent is not None and settings.max_concurrent < 1:
        error(
            "concurrent",
            f"{names['concurrent']} is {settings.max_concurrent}: a replica must accept at least "
            "1 request.",
        )
    if diagnostics or not settings.autoscale:
        return diagnostics
    diagnostics.append(
        Diagnostic(
            SCALE_CAPACITY.code,
            SCALE_CAPACITY.severity,
            _capacity_message(settings),
            settings.anchor,
        )
    )
    return diagnostics


def _capacity_message(settings: ScaleSettings) -> str:
    low, high = settings.value("min"), settings.value("max")
    percent = Fraction(str(settings.value("utilization")))
    concurrent = settings.value("concurrent")
    per_replica = Fraction(concurrent) * percent / 100
    return (
        f"Autoscaling keeps {_plain(per_replica)} request(s) in flight per replica before adding "
        "one "
        f"({concurrent} concurrent x {_plain(percent)} %). For 1-second requests that is "
        f"{_plain(per_replica * low)} requests/s at the minimum of {low} replica(s) and "
        f"{_plain(per_replica * high)} requests/s at the maximum of {high}; "
        f"{_plain(100 - percent)} % of each replica is spike headroom. "
        f"Replicas for a load: ceil(rps x seconds / {_plain(percent / 100)} / {concurrent})."
    )


def scale_settings_hover(
    text: str, line: int, character: int, context: AnalysisContext
) -> str | None:
    """Markdown for a hover on a scale setting at (line, character), 0-based; None elsewhere."""
    suffix = context.path.suffix.lower()
    candidates: list[ScaleSettings] = []
    if suffix == ".py":
        candidates = _python_settings(text) if "deploy_configuration" in text else []
    elif suffix in (".yml", ".yaml"):
        yaml_settings = _yaml_settings(text)
        candidates = [yaml_settings] if yaml_settings is not None else []
    for settings in candidates:
        first, last = settings.extent
        if first <= line <= last:
            problems = [d.message for d in _check(settings) if d.code == SCALE_OUT_OF_RANGE.code]
            if problems:
                return "**Scale settings out of range (AML401)**\n\n" + "\n".join(
                    f"- {p}" for p in problems
                )
            return _hover_markdown(settings)
    return None


def yaml_scale_settings(text: str) -> ScaleSettings | None:
    """The scale and request settings of a v2 deployment YAML (for `amldebug k8s status`)."""
    return _yaml_settings(text)


def _hover_markdown(settings: ScaleSettings) -> str:
    low, high = settings.value("min"), settings.value("max")
    percent = Fraction(str(settings.value("utilization")))
    concurrent = settings.value("concurrent")
    timeout = settings.value("timeout")
    per_replica = Fraction(concurrent) * percent / 100

    def shown(role: str) -> str:
        value = settings.value(role)
        return f"{_plain(value)}" + ("" if role in settings.ranges else " (default)")

    rows = [
        "**Scale settings: what they absorb**",
        "",
        "| setting | value |",
        "|---|---|",
        f"| `{settings.names['min']}` | {shown('min')} |",
        f"| `{settings.names['max']}` | {shown('max')} |",
        f"| `{settings.names['utilization']}` | {shown('utilization')} % |",
        f"| `{settings.names['concurrent']}` | {shown('concurrent')} |",
        f"| `{settings.names['timeout']}` | {shown('timeout')} ms |",
        "",
        f"- Per replica, autoscaling adds capacity once {concurrent} x {_plain(percent)} % = "
        f"**{_plain(per_replica)}** requests are in flight.",
        f"- Requests/s absorbed = replicas x {concurrent} x {_plain(percent / 100)} / request "
        "seconds:",
    ]
    for seconds in (Fraction(1, 10), Fraction(1)):
        rows.append(
            f"  - {_plain(seconds)} s requests: {_plain(per_replica * low / seconds)} requests/s "
            "at min "
            f"({low}), {_plain(per_replica * high / seconds)} at max ({high})"
        )
    rows += [
        f"- Spike headroom: 100 % - {_plain(percent)} % = **{_plain(100 - percent)} %** of each "
        "replica.",
        f"- Requests longer than {timeout} ms are cut off (HTTP 504).",
        "",
        f"Replicas for a target load: `ceil(rps x seconds / {_plain(percent / 100)} / "
        f"{concurrent})` "
        "(`amldebug replicas`).",
    ]
    if not settings.autoscale:
        rows.insert(
            2, "_Autoscaling is off for these settings; the numbers apply when it is on._\n"
        )
    return "\n".join(rows)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if float(value).is_integer() else None


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _plain(value: Fraction | float | int) -> str:
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"
