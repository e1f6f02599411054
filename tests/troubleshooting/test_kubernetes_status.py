"""`amldebug k8s status` against recorded Kubernetes API responses.

No live cluster is exercised: a small HTTP server on 127.0.0.1 serves recorded API responses
(tests/fixtures/k8s/) and a generated kubeconfig points the real `kubernetes` client at it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import K8S

from amldebug.cli.main import main

NAMESPACE = "azureml-prod"
POD = "my-service-7d9c5b8f6d-x2k4q"


class RecordedApi(BaseHTTPRequestHandler):
    requests: list[str] = []
    autoscaling_v2 = True

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).requests.append(self.path)
        pods_path = f"/api/v1/namespaces/{NAMESPACE}/pods"
        if url.path == pods_path:
            if query.get("labelSelector") == "azuremlappname=my-service":
                return self.send(200, (K8S / "pods-crashloop.json").read_text())
            return self.send(
                200,
                json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": []}),
            )
        if url.path == f"{pods_path}/{POD}/log":
            if query.get("previous") == "true" and query.get("container") == "my-service":
                return self.send(200, (K8S / "previous-container.log").read_text(), "text/plain")
            return self.send(
                400,
                json.dumps(
                    {"kind": "Status", "status": "Failure", "reason": "BadRequest", "code": 400}
                ),
            )
        if (
            url.path == f"/apis/autoscaling/v2/namespaces/{NAMESPACE}/horizontalpodautoscalers"
            and self.autoscaling_v2
        ):
            return self.send(200, (K8S / "hpa-v2.json").read_text())
        if url.path == f"/apis/autoscaling/v1/namespaces/{NAMESPACE}/horizontalpodautoscalers":
            v1 = {
                "kind": "HorizontalPodAutoscalerList",
                "apiVersion": "autoscaling/v1",
                "items": [
                    {
                        "metadata": {"name": "my-service", "namespace": NAMESPACE},
                        "spec": {
                            "scaleTargetRef": {"kind": "Deployment", "name": "my-service"},
                            "minReplicas": 2,
                            "maxReplicas": 4,
                            "targetCPUUtilizationPercentage": 70,
                        },
                        "status": {
                            "currentReplicas": 2,
                            "desiredReplicas": 3,
                            "currentCPUUtilizationPercentage": 91,
                        },
                    }
                ],
            }
            return self.send(200, json.dumps(v1))
        self.send(
            404,
            json.dumps({"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404}),
        )

    def send(self, status: int, body: str, content_type: str = "application/json") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return None


def write_kubeconfig(path: Path, port: int) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: recorded\n  cluster:\n    server: http://127.0.0.1:{port}\n"
        "contexts:\n- name: recorded\n  context:\n    cluster: recorded\n    user: tester\n    "
        f"namespace: {NAMESPACE}\n"
        "current-context: recorded\n"
        "users:\n- name: tester\n  user:\n    token: recorded-token\n"
    )
    return path


@pytest.fixture
def api_server() -> Iterator[int]:
    RecordedApi.requests = []
    RecordedApi.autoscaling_v2 = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordedApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def kubeconfig(tmp_path: Path, api_server: int) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", api_server)


def test_crashloop_pod_with_previous_log_explained_and_mapped(
    kubeconfig: Path, project: Path, capsys
):
    code = main(
        [
            "k8s",
            "status",
            "--kubeconfig",
            str(kubeconfig),
            "--deployment",
            "my-service",
            "--project",
            str(project),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert f"Namespace {NAMESPACE}: 1 pod(s) with azuremlappname=my-service" in out
    assert f"{POD}  Running  restarts 9" in out
    assert "container my-service: waiting, CrashLoopBackOff, last exit code 3 (init() failed" in out
    assert (
        "traceback: RuntimeError: could not load the model: weights are corrupt at score.py:10"
        in out
    )
    assert "[init-failed] previous container's log line 42" in out
    assert (
        "my-service (Deployment/my-service): current 1, desired 1, min 1, max 3, CPU 12 % of "
        "target 70 %" in out
    )
    assert "other-service" not in out
    log_requests = [r for r in RecordedApi.requests if "/log" in r]
    assert log_requests and all("previous=true" in r for r in log_requests)


def test_json_output(kubeconfig: Path, project: Path, capsys):
    code = main(
        [
            "k8s",
            "status",
            "--kubeconfig",
            str(kubeconfig),
            "--deployment",
            "my-service",
            "--project",
            str(project),
            "--format",
            "json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    (pod,) = data["pods"]
    (container,) = pod["containers"]
    assert container["waitingReason"] == "CrashLoopBackOff"
    assert container["lastExitCode"] == 3
    assert container["restarts"] == 9
    assert container["traceback"] == {
        "exception": "RuntimeError: could not load the model: weights are corrupt",
        "path": str(project / "score.py"),
        "line": 10,
    }
    assert [f["id"] for f in container["findings"]] == ["init-failed"]
    assert container["findings"][0]["local_line"] == 10
    (hpa,) = data["autoscalers"]
    assert (
        hpa["currentReplicas"],
        hpa["desiredReplicas"],
        hpa["minReplicas"],
        hpa["maxReplicas"],
    ) == (1, 1, 1, 3)


def test_selector_and_autoscaling_v1_fallback(kubeconfig: Path, capsys):
    RecordedApi.autoscaling_v2 = False
    code = main(
        [
            "k8s",
            "status",
            "--kubeconfig",
            str(kubeconfig),
            "--selector",
            "azuremlappname=my-service",
            "--namespace",
            NAMESPACE,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "with azuremlappname=my-service" in out
    assert "current 2, desired 3, min 2, max 4, CPU 91 % of target 70 %" in out


def test_no_pods_for_an_unknown_deployment(kubeconfig: Path, capsys):
    code = main(["k8s", "status", "--kubeconfig", str(kubeconfig), "--deployment", "nope"])
    out = capsys.readouterr().out
    assert code == 0
    assert (
        "No pods matching azuremlappname=nope or app=nope or ml.azure.com/deployment-name=nope"
        in out
    )


def test_unreachable_cluster_is_one_line(tmp_path: Path, capsys):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", port)
    code = main(["k8s", "status", "--kubeconfig", str(kubeconfig), "--deployment", "my-service"])
    captured = capsys.readouterr()
    assert code == 1
    assert (
        captured.err.splitlines()[0] == "amldebug: Cannot reach the Kubernetes API server at "
        f"http://127.0.0.1:{port}: connection refused"
    )
    assert "Traceback" not in captured.err


def test_missing_kubeconfig_is_one_line(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    code = main(["k8s", "status", "--deployment", "my-service"])
    captured = capsys.readouterr()
    assert code == 1
    assert (
        captured.err.splitlines()[0]
        == f"amldebug: No kubeconfig found (looked at {tmp_path / 'absent'}) "
        "and not running inside a cluster."
    )
    code = main(["k8s", "status", "--kubeconfig", str(tmp_path / "nope.yaml")])
    assert code == 1
    assert capsys.readouterr().err.startswith(
        f"amldebug: No kubeconfig at {tmp_path / 'nope.yaml'}."
    )


def test_autoscaler_shown_next_to_the_projects_scale_settings(
    kubeconfig: Path, project: Path, capsys
):
    (project / "deployment.yml").write_text(
        "name: blue\nendpoint_name: my-endpoint\ncode_configuration:\n  code: .\n"
        "  scoring_script: score.py\nscale_settings:\n  type: target_utilization\n"
        "  min_instances: 1\n  max_instances: 3\n  target_utilization_percentage: 70\n"
    )
    args = ["k8s", "status", "--kubeconfig", str(kubeconfig), "--deployment", "my-service"]
    code = main([*args, "--project", str(project)])
    out = capsys.readouterr().out
    assert code == 0
    assert "current 1, desired 1, min 1, max 3" in out
    assert (
        "Settings in deployment.yml: min 1, max 3, target utilization 70 %, "
        "1 concurrent request(s) per instance"
    ) in out
    main([*args, "--project", str(project), "--format", "json"])
    settings = json.loads(capsys.readouterr().out)["settings"]
    assert settings["maxInstances"] == 3 and settings["file"] == "deployment.yml"
