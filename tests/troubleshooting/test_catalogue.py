"""`explain_log`: every catalogue entry recognised in a realistic log, and not in unrelated ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LOGS, read_log

from amldebug.troubleshooting.catalogue import CATALOGUE, catalogue_ids, explain_log

# Which known failures each recorded log shows (every other id must stay silent on it).
EXPECTED: dict[str, set[str]] = {
    "aks-score-503.log": {"autoscale-503"},
    "aks-score-504.log": {"scoring-timeout-504"},
    "azmlinfsrv-debugpy-two-workers.log": {"debugpy-address-in-use", "init-failed"},
    "azmlinfsrv-healthy.log": set(),
    "azmlinfsrv-init-raises.log": {"init-failed"},
    "azmlinfsrv-model-file-missing.log": {"model-file-missing", "init-failed"},
    "azmlinfsrv-module-not-found.log": {"module-not-found", "init-failed"},
    "azmlinfsrv-run-raises.log": {"run-failed-502"},
    "azmlinfsrv-scoring-timeout.log": {"scoring-timeout-504"},
    "azmlinfsrv-worker-timeout.log": {"worker-timeout-killed"},
    "container-flask2-register.log": {"flask2-register-typeerror"},
    "container-jinja2-markup.log": {"jinja2-markup-importerror"},
    "docker-cli-daemon-unreachable.log": {"docker-daemon-unreachable"},
    "docker-port-allocated.log": {"port-already-allocated"},
    "docker-port-in-use.log": {"port-already-allocated"},
    "docker-sdk-daemon-unreachable.log": {"docker-daemon-unreachable"},
    "kubectl-describe-crashloop.txt": {"crashloopbackoff", "init-failed"},
    "kubectl-get-pods-crashloop.txt": {"crashloopbackoff"},
    "kubectl-describe-oomkilled.txt": {"oom-killed"},
    "pip-no-matching-distribution.log": {"pip-no-matching-distribution"},
    "pip-tls-proxy-certificate.log": {"tls-proxy-certificate"},
    "sdk-image-creation-500.log": {"keyvault-access-policy"},
    "sdk-service-run-502.log": {"run-failed-502"},
}

REQUIRED_IDS = {
    "init-failed",
    "model-file-missing",
    "module-not-found",
    "keyvault-access-policy",
    "crashloopbackoff",
    "docker-daemon-unreachable",
    "port-already-allocated",
    "pip-no-matching-distribution",
    "tls-proxy-certificate",
    "run-failed-502",
    "autoscale-503",
    "scoring-timeout-504",
    "flask2-register-typeerror",
    "jinja2-markup-importerror",
    "debugpy-address-in-use",
    "worker-timeout-killed",
}


def ids(text: str, project: Path | None = None) -> set[str]:
    return {finding.id for finding in explain_log(text, project)}


def test_every_required_failure_is_in_the_catalogue_with_a_realistic_log():
    assert set(catalogue_ids()) >= REQUIRED_IDS
    shown = set().union(*EXPECTED.values())
    assert set(catalogue_ids()) <= shown, "every entry needs a fixture log that shows it"
    assert {p.name for p in LOGS.iterdir() if p.suffix in (".log", ".txt")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_log_shows_exactly_its_failures(name: str):
    assert ids(read_log(name)) == EXPECTED[name]


@pytest.mark.parametrize("failure_id", sorted(catalogue_ids()))
def test_unrelated_logs_do_not_match(failure_id: str):
    unrelated = [name for name, shown in EXPECTED.items() if failure_id not in shown]
    assert "azmlinfsrv-healthy.log" in unrelated
    for name in unrelated:
        assert failure_id not in ids(read_log(name)), f"{failure_id} matched {name}"


def test_every_finding_has_the_documented_fields_and_steps():
    for entry in CATALOGUE:
        assert entry.title and entry.explanation and entry.fix.startswith("1. ")
    finding = explain_log(read_log("azmlinfsrv-init-raises.log"))[0]
    data = finding.to_json()
    assert {"id", "title", "line", "explanation", "fix", "matched"} <= set(data)
    assert data["line"] == 42  # 1-based: "User's init function failed"
    assert "User's init function failed" in data["matched"]


def test_init_failed_names_the_exception_and_maps_the_traceback(project: Path):
    (finding,) = explain_log(read_log("azmlinfsrv-init-raises.log"), project)
    assert finding.id == "init-failed"
    assert (
        "init() raised RuntimeError: could not load the model: weights are corrupt"
        in finding.explanation
    )
    assert "score.py line 10" in finding.explanation
    assert finding.local_path == str(project / "score.py")
    assert finding.local_line == 10
    assert finding.to_json()["local_line"] == 10


def test_without_a_project_no_local_path_is_claimed():
    (finding,) = explain_log(read_log("azmlinfsrv-init-raises.log"))
    assert finding.local_path is None and "local_path" not in finding.to_json()
    assert "score.py line 10" in finding.explanation


def test_module_not_found_names_the_distribution_and_the_conda_file(project: Path):
    findings = explain_log(read_log("azmlinfsrv-module-not-found.log"), project)
    module = next(f for f in findings if f.id == "module-not-found")
    assert "no module `sklearn`" in module.explanation
    assert "Add `scikit-learn` to `conda.yml`" in module.fix
    assert module.local_line == 3
    init = next(f for f in findings if f.id == "init-failed")
    assert init.explanation.startswith(
        "Importing the entry script (its module-level code) raised ModuleNotFoundError"
    )


def test_two_missing_modules_are_two_findings_in_log_order():
    text = (
        "ModuleNotFoundError: No module named 'joblib'\nnoise\nModuleNotFoundError: No module "
        "named 'cv2'\n"
    )
    findings = explain_log(text)
    assert [(f.line, f.id) for f in findings] == [(1, "module-not-found"), (3, "module-not-found")]
    assert "from the `opencv-python" in findings[1].explanation


def test_a_module_the_package_table_does_not_know_is_not_given_a_confident_distribution():
    # `Crypto` comes from pycryptodome, not from the unrelated `crypto` on PyPI: a guess must
    # say that it is one.
    (finding,) = explain_log("ModuleNotFoundError: No module named 'Crypto'\n")
    assert "It comes from" not in finding.explanation
    assert "does not know which distribution provides it" in finding.explanation
    (known,) = explain_log("ModuleNotFoundError: No module named 'PIL'\n")
    assert "It comes from the `pillow` distribution." in known.explanation


def test_model_file_missing_says_where_it_looked_and_what_the_model_dir_held():
    finding = next(
        f
        for f in explain_log(read_log("azmlinfsrv-model-file-missing.log"))
        if f.id == "model-file-missing"
    )
    assert (
        "looked for `/var/azureml-app/azureml-models/sklearn-model/1/model.pkl`"
        in finding.explanation
    )
    assert (
        "AZUREML_MODEL_DIR was `/var/azureml-app/azureml-models/sklearn-model/1`"
        in finding.explanation
    )
    assert "`sklearn_regression_model.pkl`" in finding.explanation
    assert (
        'os.path.join(os.getenv("AZUREML_MODEL_DIR"), "sklearn_regression_model.pkl")'
        in finding.fix
    )


def test_model_not_found_from_the_v1_sdk():
    text = (
        "azureml.exceptions._azureml_exception.ModelNotFoundException: ModelNotFoundException:\n"
        "\tMessage: Model sklearn_mnist not found in cache at azureml-models or in current "
        "working directory /var/azureml-app.\n"
    )
    assert ids(text) == {"model-file-missing"}


def test_a_crash_loop_repeating_the_failure_gives_one_finding_with_a_count():
    text = read_log("azmlinfsrv-init-raises.log") * 50
    findings = explain_log(text)
    assert [f.id for f in findings] == ["init-failed"]
    assert findings[0].count == 50
    assert findings[0].line == 42
    assert findings[0].last_line is not None and findings[0].last_line > 42 * 49


def test_tls_failure_supersedes_the_pip_error_it_causes():
    text = read_log("pip-tls-proxy-certificate.log")
    assert "No matching distribution found" in text
    (finding,) = explain_log(text)
    assert finding.id == "tls-proxy-certificate"
    assert "--ca-bundle" in finding.fix


def test_pip_no_matching_distribution_lists_what_exists():
    (finding,) = explain_log(read_log("pip-no-matching-distribution.log"))
    assert "`debugpy==0.1` does not exist" in finding.explanation
    assert "1.8.22" in finding.explanation


def test_worker_timeout_reports_the_timeout_and_where_the_worker_was(project: Path):
    (finding,) = explain_log(read_log("azmlinfsrv-worker-timeout.log"), project)
    assert "WORKER_TIMEOUT was 2 seconds" in finding.explanation
    assert "score.py line 11" in finding.explanation
    assert "WORKER_TIMEOUT=3600" in finding.fix


def test_debugpy_listen_in_two_workers_points_at_the_listen_call(project: Path):
    finding = explain_log(read_log("azmlinfsrv-debugpy-two-workers.log"), project)[0]
    assert finding.id == "debugpy-address-in-use"
    assert "The server ran 2 workers" in finding.explanation
    assert finding.local_line == 5
    assert "WORKER_COUNT=1" in finding.fix


def test_port_already_allocated_names_the_port():
    (finding,) = explain_log(read_log("docker-port-allocated.log"))
    assert "Port 8000 on the host is taken" in finding.explanation
    assert "amldebug stop" in finding.fix


def test_keyvault_needs_image_creation_context():
    text = read_log("sdk-image-creation-500.log")
    assert "keyvault-access-policy" in ids(text)
    # The same 500 from an unrelated REST call is not the Key Vault failure.
    unrelated = "\n".join(line for line in text.splitlines() if "mage" not in line)
    assert "keyvault-access-policy" not in ids(unrelated)


def test_findings_are_ordered_by_line():
    text = read_log("docker-cli-daemon-unreachable.log") + read_log("azmlinfsrv-init-raises.log")
    lines = [f.line for f in explain_log(text)]
    assert lines == sorted(lines) and len(lines) == 2


def test_unknown_and_odd_input_gives_no_findings():
    assert explain_log("") == []
    assert explain_log("hello\nworld\n") == []
    assert explain_log("\x00\x01binary\xff") == []
    assert explain_log(
        "\x1b[31mCannot connect to the Docker daemon at unix:///var/run/docker.sock.\x1b[0m\r\n"
    )[0].id == ("docker-daemon-unreachable")


def test_gunicorn_sigkill_without_a_timeout_is_out_of_memory():
    text = (
        "2026-11-22 04:19:35,679 E [7025] gunicorn.error - Worker (pid:7026) was sent SIGKILL! "
        "Perhaps out of memory?\n"
    )
    assert ids(text) == {"oom-killed"}
    timeout = read_log("azmlinfsrv-worker-timeout.log") + text
    assert ids(timeout) == {"worker-timeout-killed"}
