"""AKS replica arithmetic from the troubleshooting guide (HTTP 503 under load).

    replicas = ceil(target_rps x request_seconds / target_utilization / max_concurrent_per_replica)

`target_rps x request_seconds` is how many requests are in flight at once (Little's law). Each
replica serves `max_concurrent` of them, and the autoscaler adds replicas once the replicas are
`target_utilization` busy, so only that fraction of each replica is planned for; the rest
(1 - utilization) is headroom for spikes while new replicas start.

Exact arithmetic (fractions) so that 7 rps x 1 s at 70 % gives 10 replicas, not 11.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from amldebug.errors import UsageError

# Azure ML's default autoscale_target_utilization, in percent.
DEFAULT_UTILIZATION = "70"

FORMULA = "replicas = ceil(target_rps x request_seconds / target_utilization / max_concurrent)"
INVERSE_FORMULA = "rps = replicas x max_concurrent x target_utilization / request_seconds"


@dataclass(frozen=True)
class Utilization:
    """A target utilization as a fraction (0, 1], and how the user's input was read."""

    fraction: Fraction
    reading: str  # e.g. "70 read as 70 %" or "0.7 read as 70 %"

    @property
    def percent(self) -> float:
        return float(self.fraction * 100)


def parse_utilization(value: str | float | int) -> Utilization:
    """`70`, `70%` and `0.7` all mean 70 %. Values up to 1 are fractions, above 1 percentages.

    Raises `UsageError` outside 1-100 % (0 would never scale; above 100 % is impossible).
    """
    text = str(value).strip()
    percent_sign = text.endswith("%")
    number = _fraction(text.rstrip("%").strip(), "target utilization")
    if percent_sign or number > 1:
        fraction = number / 100
        how = "a percentage"
    else:
        fraction = number
        how = "a fraction"
    if not (Fraction(1, 100) <= fraction <= 1):
        raise UsageError(
            f"target utilization {text} is outside 1-100 %",
            hint="Give a percentage like 70 (or a fraction like 0.7); Azure ML's default is 70.",
        )
    return Utilization(fraction, f"{text} read as {how}: {_number(fraction * 100)} %")


@dataclass(frozen=True)
class ReplicaEstimate:
    target_rps: Fraction
    request_seconds: Fraction
    max_concurrent: int
    utilization: Utilization
    concurrent_requests: Fraction  # target_rps x request_seconds, requests in flight at once
    exact_replicas: Fraction  # before rounding up
    replicas: int
    rps_per_replica: Fraction  # what one replica absorbs before the autoscaler adds another

    @property
    def headroom_percent(self) -> float:
        return 100 - self.utilization.percent

    def arithmetic(self) -> str:
        """The formula with numbers: `ceil(20 x 10 / 0.7 / 1) = ceil(285.71) = 286`."""
        return (
            f"ceil({_number(self.target_rps)} x {_number(self.request_seconds)} / "
            f"{_number(self.utilization.fraction)} / {self.max_concurrent}) = "
            f"ceil({_number(self.exact_replicas)}) = {self.replicas}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "replicas": self.replicas,
            "exactReplicas": float(self.exact_replicas),
            "targetRps": float(self.target_rps),
            "requestTime": float(self.request_seconds),
            "maxConcurrent": self.max_concurrent,
            "targetUtilization": float(self.utilization.fraction),
            "targetUtilizationPercent": self.utilization.percent,
            "utilizationReading": self.utilization.reading,
            "concurrentRequests": float(self.concurrent_requests),
            "rpsPerReplica": float(self.rps_per_replica),
            "headroomPercent": self.headroom_percent,
            "formula": FORMULA,
            "arithmetic": self.arithmetic(),
        }


@dataclass(frozen=True)
class ThroughputEstimate:
    """The inverse: what `replicas` absorb before autoscaling must add more."""

    replicas: int
    request_seconds: Fraction
    max_concurrent: int
    utilization: Utilization
    rps: Fraction  # requests per second at the target utilization
    rps_at_full: Fraction  # requests per second with every slot busy (the spike ceiling)

    @property
    def headroom_percent(self) -> float:
        return 100 - self.utilization.percent

    def arithmetic(self) -> str:
        return (
            f"{self.replicas} x {self.max_concurrent} x {_number(self.utilization.fraction)} / "
            f"{_number(self.request_seconds)} = {_number(self.rps)} requests/s"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "replicas": self.replicas,
            "requestTime": float(self.request_seconds),
            "maxConcurrent": self.max_concurrent,
            "targetUtilization": float(self.utilization.fraction),
            "targetUtilizationPercent": self.utilization.percent,
            "utilizationReading": self.utilization.reading,
            "rps": float(self.rps),
            "rpsAtFullUtilization": float(self.rps_at_full),
            "headroomPercent": self.headroom_percent,
            "formula": INVERSE_FORMULA,
            "arithmetic": self.arithmetic(),
        }


def estimate_replicas(
    target_rps: str | float | Fraction,
    request_seconds: str | float | Fraction,
    max_concurrent: str | int,
    target_utilization: str | float | Utilization,
) -> ReplicaEstimate:
    """Replicas needed for `target_rps` requests/s that each take `request_seconds`."""
    rps = _positive(target_rps, "target requests per second")
    seconds = _positive(request_seconds, "request time (seconds)")
    concurrent = _count(max_concurrent, "max concurrent requests per replica")
    utilization = (
        target_utilization
        if isinstance(target_utilization, Utilization)
        else parse_utilization(target_utilization)
    )
    in_flight = rps * seconds
    exact = in_flight / utilization.fraction / concurrent
    return ReplicaEstimate(
        target_rps=rps,
        request_seconds=seconds,
        max_concurrent=concurrent,
        utilization=utilization,
        concurrent_requests=in_flight,
        exact_replicas=exact,
        replicas=max(1, math.ceil(exact)),
        rps_per_replica=concurrent * utilization.fraction / seconds,
    )


def requests_absorbed(
    replicas: str | int,
    request_seconds: str | float | Fraction,
    max_concurrent: str | int,
    target_utilization: str | float | Utilization,
) -> ThroughputEstimate:
    """Requests per second `replicas` absorb at the target utilization (the inverse formula)."""
    count = _count(replicas, "replicas")
    seconds = _positive(request_seconds, "request time (seconds)")
    concurrent = _count(max_concurrent, "max concurrent requests per replica")
    utilization = (
        target_utilization
        if isinstance(target_utilization, Utilization)
        else parse_utilization(target_utilization)
    )
    return ThroughputEstimate(
        replicas=count,
        request_seconds=seconds,
        max_concurrent=concurrent,
        utilization=utilization,
        rps=count * concurrent * utilization.fraction / seconds,
        rps_at_full=count * concurrent / seconds,
    )


def describe_estimate(estimate: ReplicaEstimate) -> str:
    """The text `amldebug replicas` prints."""
    u = estimate.utilization
    return "\n".join(
        [
            f"Replicas needed: {estimate.replicas}",
            "",
            f"  {FORMULA}",
            f"  {estimate.arithmetic()}",
            "",
            f"  {_number(estimate.target_rps)} requests/s x {_number(estimate.request_seconds)} s "
            "= "
            f"{_number(estimate.concurrent_requests)} requests in flight at once",
            f"  target utilization {u.reading}",
            f"  each replica absorbs {_number(estimate.rps_per_replica)} requests/s before the "
            "autoscaler adds another",
            f"  spike headroom: {_number(Fraction(100) - u.fraction * 100)} % (100 % - "
            f"{_number(u.fraction * 100)} %) "
            "of every replica is kept free for bursts while new replicas start",
            "",
            f"Set autoscale_min_replicas to at least {estimate.replicas} if this load arrives "
            "suddenly, "
            f"and autoscale_max_replicas to at least {estimate.replicas}.",
        ]
    )


def describe_throughput(estimate: ThroughputEstimate) -> str:
    u = estimate.utilization
    return "\n".join(
        [
            f"{estimate.replicas} replicas absorb {_number(estimate.rps)} requests/s before "
            "autoscaling must add more",
            "",
            f"  {INVERSE_FORMULA}",
            f"  {estimate.arithmetic()}",
            "",
            f"  target utilization {u.reading}",
            f"  spike headroom: {_number(Fraction(100) - u.fraction * 100)} % (100 % - "
            f"{_number(u.fraction * 100)} %): "
            f"up to {_number(estimate.rps_at_full)} requests/s with every slot busy, while new "
            "replicas start",
        ]
    )


def _fraction(value: str | float | int | Fraction, what: str) -> Fraction:
    if isinstance(value, Fraction):
        number = value
    else:
        try:
            number = Fraction(str(value).strip())
        except (ValueError, ZeroDivisionError):
            raise UsageError(f"{what} must be a number, not {value!r}") from None
    return number


def _positive(value: str | float | Fraction, what: str) -> Fraction:
    number = _fraction(value, what)
    if number <= 0:
        raise UsageError(f"{what} must be above 0, not {_number(number)}")
    return number


def _count(value: str | int, what: str) -> int:
    number = _fraction(value, what)
    if number.denominator != 1 or number < 1:
        raise UsageError(f"{what} must be a whole number of at least 1, not {value}")
    return int(number)


def _number(value: Fraction | float | int) -> str:
    """Up to two decimals, no trailing zeros: 285.71, 0.7, 20."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def capacity_answer(
    *,
    target_rps: str | float | None,
    request_time: str | float | None,
    max_concurrent: str | int | None = "1",
    target_utilization: str | float | None = DEFAULT_UTILIZATION,
    replicas: str | int | None = None,
) -> dict[str, object]:
    """The replica estimate (or, with `replicas`, the throughput) as `{"json": ..., "text": ...}`,
    for the CLI and the language server alike; bad input: `UsageError` in neither one's words."""
    utilization = parse_utilization(
        DEFAULT_UTILIZATION if target_utilization in (None, "") else target_utilization
    )
    concurrent = "1" if max_concurrent in (None, "") else max_concurrent
    if request_time in (None, ""):
        raise UsageError("The request time is required: the seconds one request takes (e.g. 0.2).")
    if replicas not in (None, ""):
        throughput = requests_absorbed(replicas, request_time, concurrent, utilization)
        data = throughput.to_json()
        text = describe_throughput(throughput)
        if target_rps not in (None, ""):
            estimate = estimate_replicas(target_rps, request_time, concurrent, utilization)
            data["forTargetRps"] = estimate.to_json()
            text += "\n\n" + describe_estimate(estimate)
        return {"json": data, "text": text}
    if target_rps in (None, ""):
        raise UsageError(
            "The target requests per second are required (or a replica count, for the inverse)."
        )
    estimate = estimate_replicas(target_rps, request_time, concurrent, utilization)
    return {"json": estimate.to_json(), "text": describe_estimate(estimate)}
