"""`amldebug k8s status`: the pods behind an Azure ML deployment on Kubernetes, and why they crash.

The logic (`collect_status`) reads the cluster through the small `KubernetesReader` interface, so it
is tested against recorded API responses; `KubernetesApi` is the real one, built on the official
`kubernetes` client from a kubeconfig (or the in-cluster service account).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from amldebug.errors import AmlDebugError
from amldebug.project import Project
from amldebug.troubleshooting.catalogue import Finding, explain_log
from amldebug.troubleshooting.paths import MappedTraceback, map_traceback

# Labels that name the deployment on Azure ML pods: AKS web services (v1) carry
# `azuremlappname` and `app`; Kubernetes online deployments (v2) carry
# `ml.azure.com/deployment-name`.
DEPLOYMENT_LABELS = ("azuremlappname", "app", "ml.azure.com/deployment-name")
AZURE_ML_POD_SELECTOR = "isazuremlapp=true"
LOG_TAIL_LINES = 400
_REQUEST_TIMEOUT_SECONDS = 15

EXIT_CODE_MEANINGS = {
    0: "exited normally",
    1: "the process failed",
    3: "init() failed: the inference server's worker failed to boot",
    137: "killed (out of memory, or by the liveness probe)",
    139: "segmentation fault",
    143: "stopped (SIGTERM)",
}


class KubernetesReader(Protocol):
    """What `collect_status` needs from a cluster, as the API's JSON (camelCase dicts)."""

    def list_pods(self, namespace: str, selector: str | None) -> list[dict[str, Any]]: ...

    def read_log(
        self, namespace: str, pod: str, container: str, *, previous: bool, tail_lines: int
    ) -> str | None: ...

    def list_autoscalers(self, namespace: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    ready: bool
    restarts: int
    state: str  # running / waiting / terminated
    waiting_reason: str | None
    waiting_message: str | None
    last_exit_code: int | None
    last_reason: str | None  # e.g. Error, OOMKilled
    last_finished: str | None
    log: str | None = None  # the previous container's log (or the current one when never restarted)
    log_is_previous: bool = False
    findings: tuple[Finding, ...] = ()
    traceback: MappedTraceback | None = None

    @property
    def exit_meaning(self) -> str | None:
        if self.last_exit_code is None:
            return None
        return EXIT_CODE_MEANINGS.get(self.last_exit_code, "the process failed")


@dataclass(frozen=True)
class PodStatus:
    name: str
    phase: str
    node: str | None
    containers: tuple[ContainerStatus, ...]

    @property
    def restarts(self) -> int:
        return sum(c.restarts for c in self.containers)


@dataclass(frozen=True)
class AutoscalerStatus:
    name: str
    target: str  # the scaled object, e.g. Deployment/my-service
    min_replicas: int | None
    max_replicas: int | None
    current_replicas: int | None
    desired_replicas: int | None
    target_cpu_percent: int | None
    current_cpu_percent: int | None


@dataclass(frozen=True)
class DeploymentStatus:
    namespace: str
    selector: str | None  # the label selector that found the pods (None: every pod)
    pods: tuple[PodStatus, ...]
    autoscalers: tuple[AutoscalerStatus, ...]
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "selector": self.selector,
            "pods": [
                {
                    "name": pod.name,
                    "phase": pod.phase,
                    "node": pod.node,
                    "restarts": pod.restarts,
                    "containers": [_container_json(c) for c in pod.containers],
                }
                for pod in self.pods
            ],
            "autoscalers": [
                {
                    "name": a.name,
                    "target": a.target,
                    "minReplicas": a.min_replicas,
                    "maxReplicas": a.max_replicas,
                    "currentReplicas": a.current_replicas,
                    "desiredReplicas": a.desired_replicas,
                    "targetCPUUtilizationPercent": a.target_cpu_percent,
                    "currentCPUUtilizationPercent": a.current_cpu_percent,
                }
                for a in self.autoscalers
            ],
            "notes": list(self.notes),
        }


def _container_json(container: ContainerStatus) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": container.name,
        "ready": container.ready,
        "restarts": container.restarts,
        "state": container.state,
        "waitingReason": container.waiting_reason,
        "lastExitCode": container.last_exit_code,
        "lastExitMeaning": container.exit_meaning,
        "lastReason": container.last_reason,
        "findings": [f.to_json() for f in container.findings],
        "logIsPrevious": container.log_is_previous,
    }
    if container.traceback is not None and container.traceback.last_entry_script_frame is not None:
        path, line = container.traceback.last_entry_script_frame
        data["traceback"] = {
            "exception": container.traceback.exception,
            "path": str(path),
            "line": line,
        }
    return data


def collect_status(
    reader: KubernetesReader,
    *,
    namespace: str,
    deployment: str | None = None,
    selector: str | None = None,
    project: Project | Path | None = None,
    tail_lines: int = LOG_TAIL_LINES,
) -> DeploymentStatus:
    """Pods, why they crash (logs explained, tracebacks mapped to `project`), autoscalers."""
    notes: list[str] = []
    used_selector, pods = _find_pods(reader, namespace, deployment, selector)
    if not pods:
        what = f"pods matching {used_selector}" if used_selector else "pods"
        notes.append(f"No {what} in namespace {namespace}.")
    statuses = tuple(_pod_status(reader, namespace, pod, project, tail_lines) for pod in pods)
    autoscalers = tuple(
        _autoscaler(item)
        for item in reader.list_autoscalers(namespace)
        if deployment is None or _targets(item, deployment)
    )
    return DeploymentStatus(namespace, used_selector, statuses, autoscalers, tuple(notes))


def _find_pods(
    reader: KubernetesReader, namespace: str, deployment: str | None, selector: str | None
) -> tuple[str | None, list[dict[str, Any]]]:
    if selector:
        return selector, reader.list_pods(namespace, selector)
    if deployment:
        tried = [f"{label}={deployment}" for label in DEPLOYMENT_LABELS]
        for candidate in tried:
            pods = reader.list_pods(namespace, candidate)
            if pods:
                return candidate, pods
        return " or ".join(tried), []
    pods = reader.list_pods(namespace, AZURE_ML_POD_SELECTOR)
    if pods:
        return AZURE_ML_POD_SELECTOR, pods
    return None, reader.list_pods(namespace, None)


def _pod_status(
    reader: KubernetesReader,
    namespace: str,
    pod: dict[str, Any],
    project: Project | Path | None,
    tail: int,
) -> PodStatus:
    metadata = pod.get("metadata") or {}
    status = pod.get("status") or {}
    name = str(metadata.get("name", "?"))
    containers = []
    for item in status.get("containerStatuses") or []:
        container = _container_status(item)
        log, previous = None, False
        if container.last_exit_code is not None or container.restarts > 0:
            log, previous = (
                reader.read_log(namespace, name, container.name, previous=True, tail_lines=tail),
                True,
            )
        if log is None and (container.waiting_reason or not container.ready):
            log, previous = (
                reader.read_log(namespace, name, container.name, previous=False, tail_lines=tail),
                False,
            )
        findings: tuple[Finding, ...] = ()
        traceback = None
        if log:
            findings = tuple(explain_log(log, project))
            traceback = map_traceback(log, project)
        containers.append(
            replace(
                container, log=log, log_is_previous=previous, findings=findings, traceback=traceback
            )
        )
    return PodStatus(
        name,
        str(status.get("phase", "Unknown")),
        (pod.get("spec") or {}).get("nodeName"),
        tuple(containers),
    )


def _container_status(item: dict[str, Any]) -> ContainerStatus:
    state = item.get("state") or {}
    last = (item.get("lastState") or {}).get("terminated") or {}
    waiting = state.get("waiting") or {}
    terminated_now = state.get("terminated") or {}
    if not last and terminated_now:
        last = terminated_now
    state_name = next(
        (key for key in ("running", "waiting", "terminated") if state.get(key) is not None),
        "unknown",
    )
    exit_code = last.get("exitCode")
    return ContainerStatus(
        name=str(item.get("name", "?")),
        ready=bool(item.get("ready")),
        restarts=int(item.get("restartCount") or 0),
        state=state_name,
        waiting_reason=waiting.get("reason"),
        waiting_message=waiting.get("message"),
        last_exit_code=int(exit_code) if isinstance(exit_code, int) else None,
        last_reason=last.get("reason"),
        last_finished=last.get("finishedAt"),
    )


def _targets(autoscaler: dict[str, Any], deployment: str) -> bool:
    name = str((autoscaler.get("metadata") or {}).get("name", ""))
    target = str(((autoscaler.get("spec") or {}).get("scaleTargetRef") or {}).get("name", ""))
    return (
        deployment in (name, target) or target.startswith(deployment) or name.startswith(deployment)
    )


def _autoscaler(item: dict[str, Any]) -> AutoscalerStatus:
    metadata = item.get("metadata") or {}
    spec = item.get("spec") or {}
    status = item.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    target_cpu = spec.get("targetCPUUtilizationPercentage")  # autoscaling/v1
    current_cpu = status.get("currentCPUUtilizationPercentage")
    for metric in spec.get("metrics") or []:  # autoscaling/v2
        resource = metric.get("resource") or {}
        if resource.get("name") == "cpu":
            target_cpu = (resource.get("target") or {}).get("averageUtilization", target_cpu)
    for metric in status.get("currentMetrics") or []:
        resource = metric.get("resource") or {}
        if resource.get("name") == "cpu":
            current_cpu = (resource.get("current") or {}).get("averageUtilization", current_cpu)
    return AutoscalerStatus(
        name=str(metadata.get("name", "?")),
        target=f"{ref.get('kind', '?')}/{ref.get('name', '?')}",
        min_replicas=spec.get("minReplicas"),
        max_replicas=spec.get("maxReplicas"),
        current_replicas=status.get("currentReplicas"),
        desired_replicas=status.get("desiredReplicas"),
        target_cpu_percent=target_cpu,
        current_cpu_percent=current_cpu,
    )


def describe_status(
    status: DeploymentStatus, project: Project | None = None, settings_line: str | None = None
) -> str:
    """The text `amldebug k8s status` prints."""
    selector = f" with {status.selector}" if status.selector else ""
    out = [f"Namespace {status.namespace}: {len(status.pods)} pod(s){selector}"]
    for note in status.notes:
        out.append(f"  {note}")
    for pod in status.pods:
        out.append(
            f"  {pod.name}  {pod.phase}  restarts {pod.restarts}"
            + (f"  on {pod.node}" if pod.node else "")
        )
        for container in pod.containers:
            parts = [f"container {container.name}: {container.state}"]
            if container.waiting_reason:
                parts.append(container.waiting_reason)
            if container.last_exit_code is not None:
                parts.append(
                    f"last exit code {container.last_exit_code} ({container.exit_meaning})"
                )
            out.append("    " + ", ".join(parts))
            if (
                container.traceback is not None
                and container.traceback.last_entry_script_frame is not None
            ):
                path, line = container.traceback.last_entry_script_frame
                shown = (
                    project.relative(path)
                    if isinstance(path, Path) and project is not None
                    else str(path)
                )
                out.append(
                    "    traceback: "
                    f"{container.traceback.exception or container.traceback.final_exception} at "
                    f"{shown}:{line}"
                )
            if container.log is not None:
                which = "previous container's log" if container.log_is_previous else "log"
                if not container.findings:
                    out.append(f"    {which}: no known failure recognised")
                for finding in container.findings:
                    out.append(f"    [{finding.id}] {which} line {finding.line}: {finding.title}")
                    first_fix = finding.fix.splitlines()[0] if finding.fix else ""
                    if first_fix:
                        out.append(f"      fix: {first_fix}")
    if status.autoscalers:
        out.append("Autoscalers:")
        for a in status.autoscalers:
            cpu = ""
            if a.target_cpu_percent is not None:
                cpu = (
                    f", CPU {a.current_cpu_percent if a.current_cpu_percent is not None else '?'} "
                    f"% of target {a.target_cpu_percent} %"
                )
            out.append(
                f"  {a.name} ({a.target}): current {a.current_replicas}, desired "
                f"{a.desired_replicas}, "
                f"min {a.min_replicas}, max {a.max_replicas}{cpu}"
            )
    else:
        out.append("Autoscalers: none found in the namespace.")
    if settings_line:
        out.append(settings_line)
    return "\n".join(out)


class KubernetesApi:
    """`KubernetesReader` over the official client, from a kubeconfig or in-cluster config."""

    def __init__(self, api_client: Any, default_namespace: str = "default"):
        from kubernetes import client

        self._core = client.CoreV1Api(api_client)
        self._autoscaling_v2 = client.AutoscalingV2Api(api_client)
        self._autoscaling_v1 = client.AutoscalingV1Api(api_client)
        self.default_namespace = default_namespace
        self.host = str(api_client.configuration.host)

    @classmethod
    def connect(cls, *, kubeconfig: str | None = None, context: str | None = None) -> KubernetesApi:
        """Load the configuration; a missing or broken kubeconfig is an `AmlDebugError`."""
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        configuration = client.Configuration()
        configuration.retries = 1  # an unreachable server should fail in seconds, not a minute
        namespace = "default"
        path = (
            kubeconfig
            or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
            or str(Path.home() / ".kube" / "config")
        )
        if kubeconfig and not Path(kubeconfig).expanduser().is_file():
            raise AmlDebugError(
                f"No kubeconfig at {kubeconfig}.",
                hint="Pass --kubeconfig FILE, or run `az aks get-credentials -g RG -n CLUSTER`.",
            )
        try:
            if Path(path).expanduser().is_file():
                config.load_kube_config(
                    config_file=str(Path(path).expanduser()),
                    context=context,
                    client_configuration=configuration,
                )
                namespace = _context_namespace(str(Path(path).expanduser()), context) or namespace
            else:
                config.load_incluster_config(client_configuration=configuration)
                namespace = _incluster_namespace() or namespace
        except ConfigException as error:
            if Path(path).expanduser().is_file():
                raise AmlDebugError(
                    f"The kubeconfig {path} cannot be used: {error}",
                    hint="Check --context, or run `az aks get-credentials -g RG -n CLUSTER`.",
                ) from None
            raise AmlDebugError(
                f"No kubeconfig found (looked at {path}) and not running inside a cluster.",
                hint="Pass --kubeconfig FILE, or run `az aks get-credentials -g RG -n CLUSTER`.",
            ) from None
        except (OSError, ValueError) as error:
            raise AmlDebugError(f"The kubeconfig {path} cannot be read: {error}") from None
        return cls(client.ApiClient(configuration), namespace)

    def list_pods(self, namespace: str, selector: str | None) -> list[dict[str, Any]]:
        response = self._call(
            self._core.list_namespaced_pod, namespace, label_selector=selector or ""
        )
        return list(json.loads(response.data).get("items") or [])

    def read_log(
        self, namespace: str, pod: str, container: str, *, previous: bool, tail_lines: int
    ) -> str | None:
        from kubernetes.client.exceptions import ApiException

        try:
            response = self._call(
                self._core.read_namespaced_pod_log,
                pod,
                namespace,
                container=container,
                previous=previous,
                tail_lines=tail_lines,
                raise_api=True,
            )
        except ApiException:
            return None  # 400 "previous terminated container not found": nothing to explain
        return str(response.data.decode("utf-8", errors="replace"))

    def list_autoscalers(self, namespace: str) -> list[dict[str, Any]]:
        from kubernetes.client.exceptions import ApiException

        try:
            response = self._call(
                self._autoscaling_v2.list_namespaced_horizontal_pod_autoscaler,
                namespace,
                raise_api=True,
            )
        except ApiException as error:
            if error.status not in (404, 403):
                raise self._api_error(error) from None
            try:
                response = self._call(
                    self._autoscaling_v1.list_namespaced_horizontal_pod_autoscaler,
                    namespace,
                    raise_api=True,
                )
            except ApiException:
                return []
        return list(json.loads(response.data).get("items") or [])

    def _call(self, method: Any, *args: Any, raise_api: bool = False, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return method(
                *args, _preload_content=False, _request_timeout=_REQUEST_TIMEOUT_SECONDS, **kwargs
            )
        except ApiException as error:
            if raise_api:
                raise
            raise self._api_error(error) from None
        except HTTPError as error:
            reason = getattr(error, "reason", None) or error
            raise AmlDebugError(
                f"Cannot reach the Kubernetes API server at {self.host}: {_short(reason)}",
                hint=(
                    "Check the cluster is running and the kubeconfig context (--context) points "
                    "at it."
                ),
            ) from None

    def _api_error(self, error: Any) -> AmlDebugError:
        status = getattr(error, "status", None)
        if status in (401, 403):
            return AmlDebugError(
                f"The Kubernetes API server at {self.host} refused the request ({status} "
                f"{error.reason}).",
                hint=(
                    "Refresh the credentials: `az aks get-credentials -g RG -n CLUSTER "
                    "--overwrite-existing`."
                ),
            )
        return AmlDebugError(
            f"The Kubernetes API server at {self.host} answered {status} {error.reason}."
        )


def _short(reason: object) -> str:
    text = str(reason)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "timed out",
        "No route to host",
    ):
        if marker in text:
            return marker.lower() if marker != "Connection refused" else "connection refused"
    return text.split(": ", 1)[-1][:200]


def _context_namespace(path: str, context: str | None) -> str | None:
    from kubernetes import config

    try:
        contexts, active = config.list_kube_config_contexts(config_file=path)
    except (
        Exception
    ):  # the same file already loaded; a failure here only loses the default namespace
        return None
    chosen = next((c for c in contexts if c.get("name") == context), active) if context else active
    namespace = ((chosen or {}).get("context") or {}).get("namespace")
    return str(namespace) if namespace else None


def _incluster_namespace() -> str | None:
    try:
        return (
            Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read_text().strip()
            or None
        )
    except OSError:
        return None
