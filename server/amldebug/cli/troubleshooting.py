"""`amldebug explain`, `amldebug replicas` and `amldebug k8s status`: reading failures.

Thin adapters: the knowledge is in `amldebug.troubleshooting` (catalogue, capacity, Kubernetes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from amldebug.errors import AmlDebugError, UsageError
from amldebug.project import Project, discover_project
from amldebug.troubleshooting.capacity import DEFAULT_UTILIZATION, capacity_answer
from amldebug.troubleshooting.catalogue import Finding, explain_log

FORMATS = ("text", "json")
MAX_INPUT_BYTES = 64 * 1024 * 1024


def register(subparsers: argparse._SubParsersAction) -> None:
    explain = subparsers.add_parser(
        "explain",
        help="recognise known failures in a build log, container log, traceback or kubectl output",
        description=(
            "Read a log (a file, or - / nothing for standard input) and explain every known "
            "Azure ML "
            "deployment failure in it: what it means and how to fix it. Exit status 0 whether or "
            "not "
            "something is recognised; 1 when the file cannot be read."
        ),
    )
    explain.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="the log file, or - for standard input"
    )
    explain.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    explain.add_argument(
        "--project",
        metavar="DIR",
        help=(
            "the local project, to map /var/azureml-app paths in tracebacks to its files "
            "(default: the current folder)"
        ),
    )
    explain.set_defaults(func=run_explain)

    replicas = subparsers.add_parser(
        "replicas",
        help="AKS replicas for a target load, or the load N replicas absorb (HTTP 503 sizing)",
        description=(
            "replicas = ceil(target_rps x request_seconds / target_utilization / max_concurrent). "
            "With --replicas N: the requests per second N replicas absorb before autoscaling "
            "must add more."
        ),
    )
    replicas.add_argument("--target-rps", metavar="R", help="requests per second to serve")
    replicas.add_argument("--request-time", metavar="S", help="seconds one request takes")
    replicas.add_argument(
        "--max-concurrent",
        metavar="C",
        default="1",
        help="concurrent requests per replica (default: 1)",
    )
    replicas.add_argument(
        "--target-utilization",
        metavar="U",
        default=DEFAULT_UTILIZATION,
        help="autoscale target utilization: 70, 70%% or 0.7 all mean 70 %% (default: 70)",
    )
    replicas.add_argument(
        "--replicas", metavar="N", help="the inverse: requests per second N replicas absorb"
    )
    replicas.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    replicas.set_defaults(func=run_replicas)

    k8s = subparsers.add_parser("k8s", help="Kubernetes (AKS) helpers")
    k8s_verbs = k8s.add_subparsers(dest="k8s_command", metavar="VERB")
    status = k8s_verbs.add_parser(
        "status",
        help="pods of a deployment, why they crash (previous log explained) and the autoscaler",
        description=(
            "Show the pods behind an Azure ML deployment: phase, restarts, CrashLoopBackOff, the "
            "last "
            "exit code (3: init() failed), the crashed container's log explained, and the "
            "autoscaler's "
            "current/desired/min/max replicas. Uses the kubeconfig (or in-cluster configuration)."
        ),
    )
    status.add_argument(
        "--namespace", "-n", metavar="NS", help="namespace (default: the context's, else default)"
    )
    status.add_argument(
        "--deployment", metavar="NAME", help="the Azure ML service / deployment name"
    )
    status.add_argument(
        "--selector", "-l", metavar="LABELS", help="a label selector instead of --deployment"
    )
    status.add_argument("--context", metavar="CTX", help="kubeconfig context")
    status.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)",
    )
    status.add_argument(
        "--project", metavar="DIR", help="the local project, to map tracebacks to its files"
    )
    status.add_argument(
        "--tail", type=int, default=400, metavar="LINES", help="log lines to fetch (default: 400)"
    )
    status.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    status.set_defaults(func=run_k8s_status)
    k8s.set_defaults(func=lambda args: _k8s_help(k8s))


def _k8s_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


# -- explain ------------------------------------------------------------------------------------


def run_explain(args: argparse.Namespace) -> int:
    name = "standard input" if args.file == "-" else args.file
    text = _read_input(args.file)
    project = _project(args.project)
    findings = explain_log(text, project)
    if args.format == "json":
        print(json.dumps([f.to_json() for f in findings], indent=2, ensure_ascii=False))
        return 0
    print(
        render_findings(
            findings, name, text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        )
    )
    return 0


def render_findings(findings: list[Finding], source: str, line_count: int) -> str:
    """The text output of `amldebug explain`."""
    if not findings:
        return (
            f"No known failure recognised in {source} ({line_count} lines).\n"
            "`amldebug explain` knows build, container, kubectl and SDK failures of Azure ML "
            "deployments; "
            "if this log shows one it misses, please report it."
        )
    blocks = []
    for finding in findings:
        location = f"{source}:{finding.line}"
        repeated = (
            f" (seen {finding.count} times, last at line {finding.last_line})"
            if finding.count > 1
            else ""
        )
        lines = [
            f"{location}: [{finding.id}] {finding.title}{repeated}",
            f"  matched: {finding.matched}",
        ]
        if finding.local_path:
            lines.append(f"  in your code: {finding.local_path}:{finding.local_line}")
        lines.append("")
        lines.extend("  " + line if line else "" for line in finding.explanation.splitlines())
        lines.append("")
        lines.append("  Fix:")
        lines.extend("    " + line if line else "" for line in finding.fix.splitlines())
        blocks.append("\n".join(lines))
    summary = f"{len(findings)} known failure(s) recognised in {source}."
    return "\n\n".join(blocks) + "\n\n" + summary


def _read_input(file: str) -> str:
    if file == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES)
    else:
        path = Path(file)
        if not path.exists():
            raise AmlDebugError(
                f"{file} does not exist.", hint="Pass a log file, or - to read standard input."
            )
        if path.is_dir():
            raise AmlDebugError(f"{file} is a folder, not a log file.")
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_INPUT_BYTES)
        except OSError as error:
            raise AmlDebugError(f"{file} cannot be read: {error.strerror}") from None
    return data.decode("utf-8", errors="replace")


def _project(folder: str | None) -> Project | None:
    path = Path(folder) if folder else Path.cwd()
    if folder and not path.is_dir():
        raise UsageError(f"--project {folder} is not a folder.")
    return discover_project(path)


# -- replicas -----------------------------------------------------------------------------------


def run_replicas(args: argparse.Namespace) -> int:
    # Said in the CLI's own words; the engine's messages do not name flags.
    if args.request_time in (None, ""):
        raise UsageError("--request-time is required: the seconds one request takes (e.g. 0.2).")
    if args.target_rps in (None, "") and args.replicas in (None, ""):
        raise UsageError("--target-rps is required (or --replicas N for the inverse).")
    result = capacity_answer(
        target_rps=args.target_rps,
        request_time=args.request_time,
        max_concurrent=args.max_concurrent,
        target_utilization=args.target_utilization,
        replicas=args.replicas,
    )
    if args.format == "json":
        print(json.dumps(result["json"], indent=2, ensure_ascii=False))
    else:
        print(result["text"])
    return 0


# -- k8s status ---------------------------------------------------------------------------------


def run_k8s_status(args: argparse.Namespace) -> int:
    from amldebug.analysis.scale_settings import yaml_scale_settings
    from amldebug.project_files import DEFAULT_MAX_BYTES, read_project_file
    from amldebug.troubleshooting.kubernetes_status import (
        KubernetesApi,
        collect_status,
        describe_status,
    )

    if args.tail < 1:
        raise UsageError("--tail must be at least 1.")
    project = _project(args.project) if args.project else None
    api = KubernetesApi.connect(kubeconfig=args.kubeconfig, context=args.context)
    namespace = args.namespace or api.default_namespace
    status = collect_status(
        api,
        namespace=namespace,
        deployment=args.deployment,
        selector=args.selector,
        project=project,
        tail_lines=args.tail,
    )
    settings_line = None
    settings_json = None
    if project is not None and project.deployment_file is not None:
        deployment = read_project_file(
            project.deployment_file, root=project.root, max_bytes=DEFAULT_MAX_BYTES
        )
        settings = yaml_scale_settings(deployment.text) if deployment.text is not None else None
        if settings is not None:
            settings_json = {
                "file": project.relative(project.deployment_file),
                "minInstances": settings.value("min"),
                "maxInstances": settings.value("max"),
                "targetUtilizationPercentage": _whole(settings.value("utilization")),
                "maxConcurrentRequestsPerInstance": settings.value("concurrent"),
            }
            settings_line = (
                f"Settings in {settings_json['file']}: min {settings_json['minInstances']}, "
                f"max {settings_json['maxInstances']}, target utilization "
                f"{settings_json['targetUtilizationPercentage']} %, "
                f"{settings_json['maxConcurrentRequestsPerInstance']} concurrent request(s) per "
                "instance"
            )
    if args.format == "json":
        data = status.to_json()
        data["settings"] = settings_json
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(describe_status(status, project, settings_line))
    return 0


def _whole(value: float | int) -> float | int:
    """70.0 -> 70, so the settings read as they were written."""
    return int(value) if float(value).is_integer() else value
