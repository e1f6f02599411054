"""AML401 (values out of range) and AML402 (what the settings absorb), in Python and YAML."""

from __future__ import annotations

from pathlib import Path

from amldebug.analysis import analyze_document
from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.rule_catalogue import get_rule
from amldebug.analysis.scale_settings import RULES, scale_settings_hover
from amldebug.project import discover_project

BAD_PY = """\
from azureml.core.webservice import AksWebservice

config = AksWebservice.deploy_configuration(
    cpu_cores=1,
    autoscale_enabled=True,
    autoscale_target_utilization=0.7,
    autoscale_min_replicas=5,
    autoscale_max_replicas=2,
)
"""

GOOD_PY = """\
from azureml.core import webservice

config = webservice.AksWebservice.deploy_configuration(
    autoscale_enabled=True,
    autoscale_min_replicas=2,
    autoscale_max_replicas=6,
    autoscale_target_utilization=50,
)
"""

GOOD_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: my-endpoint
instance_type: Standard_DS3_v2
scale_settings:
  type: target_utilization
  min_instances: 2
  max_instances: 5
  target_utilization_percentage: 70
request_settings:
  max_concurrent_requests_per_instance: 2
  request_timeout_ms: 3000
"""


def check(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return analyze_document(path, text)


def test_rules_are_documented():
    assert [rule.code for rule in RULES] == ["AML401", "AML402"]
    for rule in RULES:
        assert get_rule(rule.code) is rule
        assert rule.why and rule.fix and rule.example


def test_python_out_of_range_values_fire_at_the_value(tmp_path: Path):
    diagnostics = check(tmp_path, "deploy.py", BAD_PY)
    assert [d.code for d in diagnostics] == ["AML401", "AML401"]
    utilization, minimum = diagnostics
    assert utilization.range.start.line == 5 and utilization.range.start.character == 33
    assert "autoscale_target_utilization is 0.7" in utilization.message
    assert "write 70 for 70 %" in utilization.message
    assert minimum.range.start.line == 6
    assert minimum.message == "autoscale_min_replicas (5) is above autoscale_max_replicas (2)."


def test_python_correct_values_get_only_the_information(tmp_path: Path):
    diagnostics = check(tmp_path, "deploy.py", GOOD_PY)
    assert [d.code for d in diagnostics] == ["AML402"]
    (info,) = diagnostics
    assert "0.5 request(s) in flight per replica" in info.message
    assert (
        "1 requests/s at the minimum of 2 replica(s) and 3 requests/s at the maximum of 6"
        in info.message
    )
    assert "50 % of each replica is spike headroom" in info.message
    assert info.range.start.line == 2


def test_python_variables_and_other_calls_are_not_checked(tmp_path: Path):
    text = (
        "from azureml.core.webservice import AksWebservice, AciWebservice\n"
        "low = 0\n"
        "AksWebservice.deploy_configuration(autoscale_min_replicas=low, "
        "autoscale_target_utilization=u)\n"
        "AciWebservice.deploy_configuration(cpu_cores=0)\n"
    )
    assert [d.code for d in check(tmp_path, "deploy.py", text)] == ["AML402"]
    off = "AksWebservice.deploy_configuration(autoscale_enabled=False, num_replicas=3)\n"
    assert check(tmp_path, "deploy.py", off) == []
    assert check(tmp_path, "broken.py", "AksWebservice.deploy_configuration(\n") == []


def test_python_min_below_one_and_target_above_100(tmp_path: Path):
    text = (
        "AksWebservice.deploy_configuration(autoscale_min_replicas=0, "
        "autoscale_target_utilization=120)\n"
    )
    messages = [d.message for d in check(tmp_path, "deploy.py", text)]
    assert "autoscale_min_replicas is 0: at least 1 replica must run." in messages
    assert "autoscale_target_utilization is 120: it must be a percentage from 1 to 100." in messages


def test_yaml_correct_settings_get_the_information_on_scale_settings(tmp_path: Path):
    diagnostics = check(tmp_path, "deployment.yml", GOOD_YAML)
    assert [d.code for d in diagnostics] == ["AML402"]
    (info,) = diagnostics
    assert info.range.start.line == 4 and info.range.start.character == 0
    assert (
        "1.4 request(s) in flight per replica before adding one (2 concurrent x 70 %)"
        in info.message
    )
    assert (
        "2.8 requests/s at the minimum of 2 replica(s) and 7 requests/s at the maximum of 5"
        in info.message
    )


def test_yaml_out_of_range_values_fire_at_the_value(tmp_path: Path):
    text = (
        GOOD_YAML.replace("target_utilization_percentage: 70", "target_utilization_percentage: 0")
        .replace("min_instances: 2", "min_instances: 8")
        .replace(
            "max_concurrent_requests_per_instance: 2", "max_concurrent_requests_per_instance: 0"
        )
    )
    diagnostics = check(tmp_path, "deployment.yml", text)
    assert [d.code for d in diagnostics] == ["AML401", "AML401", "AML401"]
    by_line = {d.range.start.line: d for d in diagnostics}
    assert by_line[6].message == "min_instances (8) is above max_instances (5)."
    assert by_line[6].range.start.character == len("  min_instances: ")
    assert "target_utilization_percentage is 0" in by_line[8].message
    assert "max_concurrent_requests_per_instance is 0" in by_line[10].message


def test_yaml_min_above_the_default_max(tmp_path: Path):
    text = (
        "instance_type: Standard_DS3_v2\nscale_settings:\n  type: target_utilization\n  "
        "min_instances: 3\n"
    )
    (diagnostic,) = check(tmp_path, "deployment.yml", text)
    assert diagnostic.message == "min_instances (3) is above max_instances (1, the default)."


def test_yaml_without_scale_settings_or_broken(tmp_path: Path):
    assert (
        check(tmp_path, "deployment.yml", "instance_type: Standard_DS3_v2\ninstance_count: 1\n")
        == []
    )
    # A broken YAML gets AML404 (analysis/deployment_yaml.py) and no scale-setting guesswork.
    broken = check(tmp_path, "deployment.yml", "scale_settings: [unclosed\n")
    assert [d.code for d in broken] == ["AML404"]


def test_hover_shows_the_arithmetic(tmp_path: Path):
    path = tmp_path / "deployment.yml"
    path.write_text(GOOD_YAML)
    context = AnalysisContext(path, discover_project(path))
    markdown = scale_settings_hover(GOOD_YAML, 7, 4, context)
    assert markdown is not None
    assert "| `max_instances` | 5 |" in markdown
    assert "2 x 70 % = **1.4** requests are in flight" in markdown
    assert "1 s requests: 2.8 requests/s at min (2), 7 at max (5)" in markdown
    assert "**30 %**" in markdown
    assert scale_settings_hover(GOOD_YAML, 1, 0, context) is None


def test_hover_on_python_and_on_bad_values(tmp_path: Path):
    path = tmp_path / "deploy.py"
    path.write_text(GOOD_PY)
    context = AnalysisContext(path, discover_project(path))
    markdown = scale_settings_hover(GOOD_PY, 4, 8, context)
    assert (
        markdown is not None and "| `replica_max_concurrent_requests` | 1 (default) |" in markdown
    )
    assert scale_settings_hover(GOOD_PY, 0, 0, context) is None
    bad = scale_settings_hover(BAD_PY, 5, 8, context)
    assert bad is not None and bad.startswith("**Scale settings out of range (AML401)**")
