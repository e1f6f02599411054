"""Params and results of explain and replicas: the same objects as the CLI's `--format json`."""

from __future__ import annotations

from dataclasses import dataclass, field

from amldebug.lsp.contract.debug_loop import doc
from amldebug.lsp.contract.wire import Success


@dataclass(frozen=True, kw_only=True)
class ExplainParams:
    text: str = field(metadata=doc("The log."))
    folder: str | None = field(
        default=None, metadata=doc("Maps traceback paths (default: the first workspace folder).")
    )


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One known failure found in the log (`amldebug explain --format json`; its snake_case keys
    are the CLI's, kept as they are)."""

    id: str
    title: str
    line: int = field(metadata=doc("1-based line in the log."))
    explanation: str
    fix: str
    matched: str = field(metadata=doc("The log text that matched."))
    count: int
    last_line: int | None = field(default=None, metadata=doc("", wire="last_line"))
    exception: str | None = field(default=None, metadata=doc("The root cause, `Type: message`."))
    local_path: str | None = field(default=None, metadata=doc("", wire="local_path"))
    local_line: int | None = field(default=None, metadata=doc("", wire="local_line"))


@dataclass(frozen=True, kw_only=True)
class ExplainResult(Success):
    findings: list[Finding]


Number = float | str  # the CLI's inputs: 70, 0.7 or "70%"


@dataclass(frozen=True, kw_only=True)
class ReplicasParams:
    target_rps: Number | None = None
    request_time: Number | None = field(default=None, metadata=doc("Seconds one request takes."))
    max_concurrent: Number | None = None
    target_utilization: Number | None = None
    replicas: Number | None = field(default=None, metadata=doc("Given: the inverse question."))


@dataclass(frozen=True, kw_only=True)
class CapacityEstimate:
    """`amldebug replicas --format json`: replicas for a load, or (with `replicas`) the load."""

    replicas: int
    request_time: float
    max_concurrent: int
    target_utilization: float
    target_utilization_percent: float
    utilization_reading: str
    headroom_percent: float
    formula: str
    arithmetic: str
    exact_replicas: float | None = None
    target_rps: float | None = None
    concurrent_requests: float | None = None
    rps_per_replica: float | None = None
    rps: float | None = None
    rps_at_full_utilization: float | None = None


@dataclass(frozen=True, kw_only=True)
class ReplicasResult(CapacityEstimate, Success):
    text: str = field(metadata=doc("The CLI's text output."))
    for_target_rps: CapacityEstimate | None = field(
        default=None, metadata=doc("With both `replicas` and `targetRps`: the estimate too.")
    )
