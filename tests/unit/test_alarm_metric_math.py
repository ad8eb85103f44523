"""Every metric-math alarm of template.yaml fires when one of its inputs alone has data.

The pipeline's Lambdas run minutes apart, so in a 5-minute period usually one function has an `Errors`
(or `Throttles`) datapoint and the others have none. CloudWatch computes `a + b` only where both have a
datapoint, so a plain sum of the five functions' metrics has no datapoint in such a period and, with
`TreatMissingData: notBreaching`, the alarm stays OK: each input needs `FILL(m, 0)`. The evaluator
(`support.metric_math`) models those semantics; the first test pins that it reproduces the defect, so
the alarm test cannot pass by evaluating sums too leniently.
"""

from __future__ import annotations

from typing import Any

import pytest

from support.metric_math import UnsupportedExpressionError, breaches, evaluate
from wistia_local.template import load_template

PERIODS_FED = 3  # consecutive periods in which one input alone has data; more than any alarm needs


def _metric_math_alarms() -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in load_template()["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm" and "Metrics" in resource["Properties"]
    }


ALARMS = _metric_math_alarms()


def _smallest_breaching_count(threshold: float, operator: str) -> float:
    """The fewest errors (a count) one function must have in a period for the alarm to breach."""
    if operator == "GreaterThanOrEqualToThreshold":
        return threshold
    if operator == "GreaterThanThreshold":
        return threshold + 1
    raise AssertionError(f"{operator}: this test models alarms on counts that rise, not on falling ones")


def test_the_evaluator_reproduces_cloudwatch_sums_of_missing_datapoints() -> None:
    # A sum of time series exists only where every input has a datapoint: the defect in plain `a + b`.
    assert evaluate("a + b", {"a": {0: 1.0}, "b": {}}) == {}
    assert evaluate("a + b", {"a": {0: 1.0, 300: 2.0}, "b": {300: 3.0}}) == {300: 5.0}
    assert evaluate("a + b + c", {"a": {0: 1.0}, "b": {0: 1.0}, "c": {}}) == {}
    # FILL gives a series a value wherever any series of the query has a datapoint.
    assert evaluate("FILL(a, 0) + FILL(b, 0)", {"a": {0: 1.0}, "b": {300: 2.0}}) == {0: 1.0, 300: 2.0}
    assert evaluate("FILL(b, 0)", {"a": {0: 1.0, 300: 4.0}, "b": {300: 2.0}}) == {0: 0.0, 300: 2.0}
    assert evaluate("FILL(a, 0) + b", {"a": {0: 1.0}, "b": {}}) == {}  # one unfilled input is enough
    assert evaluate("(a + 1) + FILL(b, 0.5)", {"a": {0: 1.0}, "b": {}}) == {0: 2.5}
    assert evaluate("FILL(a, 0)", {"a": {}, "b": {}}) == {}  # no datapoint anywhere: nothing to fill
    # What it does not model, it refuses.
    for expression in ("SUM(METRICS())", "a - b", "FILL(a, REPEAT)", "a + unknown", "a +", "1 + 1"):
        with pytest.raises(UnsupportedExpressionError):
            evaluate(expression, {"a": {0: 1.0}, "b": {}})


def test_the_lambda_alarms_are_metric_math() -> None:
    # The parametrised test below runs over these; it must not run over nothing.
    assert {"LambdaErrorsAlarm", "LambdaThrottlesAlarm"} <= set(ALARMS)


@pytest.mark.parametrize("alarm_name", sorted(ALARMS))
def test_one_input_alone_trips_the_alarm(alarm_name: str) -> None:
    alarm = ALARMS[alarm_name]
    metrics: list[dict[str, Any]] = alarm["Metrics"]
    [returned] = [m for m in metrics if m.get("ReturnData", True)]  # an alarm returns exactly one series
    expression: str = returned["Expression"]
    inputs = [m["Id"] for m in metrics if "MetricStat" in m]
    assert len(inputs) >= 2, f"{alarm_name}: metric math over {inputs}"
    [period] = {m["MetricStat"]["Period"] for m in metrics if "MetricStat" in m}
    threshold, operator = float(alarm["Threshold"]), alarm["ComparisonOperator"]
    needed = int(alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"]))
    assert needed <= PERIODS_FED
    count = _smallest_breaching_count(threshold, operator)

    for alone in inputs:
        data: dict[str, dict[int, float]] = {metric_id: {} for metric_id in inputs}
        data[alone] = {n * period: count for n in range(PERIODS_FED)}
        result = evaluate(expression, data)
        breaching = [timestamp for timestamp, value in result.items() if breaches(value, threshold, operator)]
        assert len(breaching) >= needed, (
            f"{alarm_name}: {count:g} in `{alone}` alone, no datapoint in the other inputs, gives "
            f"{result or 'no datapoint'} from `{expression}`; wrap each input in FILL(<id>, 0)"
        )
