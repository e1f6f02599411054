"""The guide's replica arithmetic: ceil(R x S / U / C) and its inverse."""

from __future__ import annotations

import pytest

from amldebug.errors import UsageError
from amldebug.troubleshooting.capacity import (
    describe_estimate,
    describe_throughput,
    estimate_replicas,
    parse_utilization,
    requests_absorbed,
)


def test_the_guides_example():
    # Troubleshooting guide: 20 requests/s, 10 s each, 1 concurrent request, 70 % -> 286 replicas.
    estimate = estimate_replicas(20, 10, 1, 0.7)
    assert estimate.replicas == 286
    assert estimate.arithmetic() == "ceil(20 x 10 / 0.7 / 1) = ceil(285.71) = 286"
    assert estimate.headroom_percent == pytest.approx(30)


def test_exact_arithmetic_does_not_round_up_a_whole_result():
    # In floating point 7 x 1 / 0.7 is 10.000000000000002, which would give 11.
    assert estimate_replicas("7", "1", "1", "70").replicas == 10


def test_concurrency_divides_the_replicas():
    assert estimate_replicas(100, 0.5, 4, 50).replicas == 25
    assert estimate_replicas(0.1, 0.1, 1, 70).replicas == 1  # never fewer than one


@pytest.mark.parametrize("value", ["70", "70%", "0.7", 0.7, 70])
def test_utilization_as_percentage_or_fraction(value):
    assert parse_utilization(value).percent == pytest.approx(70)


def test_utilization_reading_is_spelled_out():
    assert parse_utilization("0.7").reading == "0.7 read as a fraction: 70 %"
    assert parse_utilization("70").reading == "70 read as a percentage: 70 %"
    assert parse_utilization("1").percent == 100


@pytest.mark.parametrize("value", ["0", "101", "-5", "abc", ""])
def test_bad_utilization_is_a_usage_error(value):
    with pytest.raises(UsageError):
        parse_utilization(value)


@pytest.mark.parametrize(
    "args",
    [
        ("0", "1", "1", "70"),
        ("10", "-1", "1", "70"),
        ("10", "1", "0", "70"),
        ("10", "1", "1.5", "70"),
        ("x", "1", "1", "70"),
    ],
)
def test_bad_inputs_are_usage_errors(args):
    with pytest.raises(UsageError):
        estimate_replicas(*args)


def test_inverse_requests_absorbed_by_n_replicas():
    throughput = requests_absorbed(3, 0.5, 2, 70)
    assert float(throughput.rps) == pytest.approx(8.4)
    assert float(throughput.rps_at_full) == pytest.approx(12)
    assert throughput.to_json()["rps"] == pytest.approx(8.4)
    # Round trip: the replicas for the absorbed load are the replicas given.
    assert estimate_replicas(throughput.rps, 0.5, 2, 70).replicas == 3


def test_texts_spell_out_formula_and_headroom():
    text = describe_estimate(estimate_replicas(20, 10, 1, 70))
    assert "Replicas needed: 286" in text
    assert (
        "replicas = ceil(target_rps x request_seconds / target_utilization / max_concurrent)"
        in text
    )
    assert "spike headroom: 30 % (100 % - 70 %)" in text
    assert "200 requests in flight at once" in text
    inverse = describe_throughput(requests_absorbed(3, 0.5, 2, 70))
    assert inverse.startswith("3 replicas absorb 8.4 requests/s before autoscaling must add more")
    assert "up to 12 requests/s with every slot busy" in inverse


def test_json_shape():
    data = estimate_replicas(20, 10, 1, "70").to_json()
    assert data["replicas"] == 286
    assert data["targetUtilization"] == pytest.approx(0.7)
    assert data["headroomPercent"] == pytest.approx(30)
