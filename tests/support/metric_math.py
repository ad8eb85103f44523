"""A small evaluator of the CloudWatch metric math that template.yaml's alarms use, to test them offline.

The semantics, as CloudWatch documents them ("Use metric math", "Metric math syntax and functions"):

- A metric is a time series with a datapoint only in the periods it has data for. A Lambda function that
  did not run in a period has *no* datapoint there for `Errors` or `Throttles`, not a zero.
- Arithmetic between two time series is computed timestamp by timestamp, and only at the timestamps where
  *every* series has a datapoint: `a + b` has no datapoint where `b` has none. Arithmetic between a time
  series and a scalar is computed at every datapoint of the series.
- `FILL(m, value)` gives `m` a datapoint at every timestamp of the query: its own value where it has
  one, `value` where it has none. CloudWatch fills every period of the requested range; this evaluator
  fills the timestamps where any series of the query has a datapoint, the only timestamps at which a sum
  of filled series can have one.

Only what the template uses is supported: metric ids, numbers, `+`, parentheses and `FILL(<expression>,
<number>)`. Anything else (other operators or functions, `FILL(m, REPEAT)`) raises
`UnsupportedExpressionError`, so a template that starts using more of metric math fails its test loudly
rather than being evaluated wrongly.

    >>> evaluate("a + b", {"a": {0: 1.0}, "b": {}})
    {}
    >>> evaluate("FILL(a, 0) + FILL(b, 0)", {"a": {0: 1.0}, "b": {}})
    {0: 1.0}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

Series = dict[int, float]
"""A time series: datapoint timestamp (seconds) -> value; a period without data has no key."""
Value = Series | float

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[+(),]))")

# CloudWatch's static-threshold comparison operators (AWS::CloudWatch::Alarm ComparisonOperator).
_COMPARISONS = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


class UnsupportedExpressionError(ValueError):
    """The expression uses metric math this evaluator does not model."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "punct" or "end"
    text: str


def _tokenize(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise UnsupportedExpressionError(f"cannot read {expression[position:]!r} in {expression!r}")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    tokens.append(_Token("end", ""))
    return tokens


class _Evaluator:
    """Recursive descent over `sum := term ('+' term)*`, `term := number | id | FILL(sum, number) | (sum)`."""

    def __init__(self, expression: str, data: Mapping[str, Series]) -> None:
        self.expression = expression
        self.data = data
        self.timestamps = sorted({timestamp for series in data.values() for timestamp in series})
        self.tokens = _tokenize(expression)
        self.position = 0

    def run(self) -> Value:
        value = self._sum()
        self._expect("end", "")
        return value

    def _peek(self) -> _Token:
        return self.tokens[self.position]

    def _take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _expect(self, kind: str, text: str) -> None:
        token = self._take()
        if (token.kind, token.text) != (kind, text):
            found = token.text or "the end"
            raise UnsupportedExpressionError(
                f"expected {text or 'the end'!r}, found {found!r} in {self.expression!r}"
            )

    def _sum(self) -> Value:
        value = self._term()
        while self._peek().text == "+":
            self._take()
            value = _add(value, self._term())
        return value

    def _term(self) -> Value:
        token = self._take()
        if token.kind == "number":
            return float(token.text)
        if token.text == "(":
            value = self._sum()
            self._expect("punct", ")")
            return value
        if token.kind == "name" and self._peek().text == "(":
            if token.text != "FILL":
                raise UnsupportedExpressionError(
                    f"function {token.text} is not modelled ({self.expression!r})"
                )
            self._take()
            series = self._sum()
            self._expect("punct", ",")
            fill = self._take()
            if fill.kind != "number":
                raise UnsupportedExpressionError(
                    f"FILL with {fill.text!r} is not modelled ({self.expression!r})"
                )
            self._expect("punct", ")")
            return self._fill(series, float(fill.text))
        if token.kind == "name":
            if token.text not in self.data:
                raise UnsupportedExpressionError(f"{token.text!r} is not a metric id of the query")
            return dict(self.data[token.text])
        raise UnsupportedExpressionError(f"unexpected {token.text or 'end'!r} in {self.expression!r}")

    def _fill(self, series: Value, fill: float) -> Series:
        if not isinstance(series, dict):
            raise UnsupportedExpressionError(f"FILL of a scalar in {self.expression!r}")
        return {timestamp: series.get(timestamp, fill) for timestamp in self.timestamps}


def _add(left: Value, right: Value) -> Value:
    if isinstance(left, dict):
        if isinstance(right, dict):  # only where both series have a datapoint
            return {
                timestamp: value + right[timestamp] for timestamp, value in left.items() if timestamp in right
            }
        return {timestamp: value + right for timestamp, value in left.items()}
    if isinstance(right, dict):
        return {timestamp: left + value for timestamp, value in right.items()}
    return left + right


def evaluate(expression: str, data: Mapping[str, Series]) -> Series:
    """The time series `expression` yields over the query's metrics `data` (metric id -> series)."""
    value = _Evaluator(expression, data).run()
    if not isinstance(value, dict):
        raise UnsupportedExpressionError(f"{expression!r} is a scalar; an alarm needs a time series")
    return dict(sorted(value.items()))


def breaches(value: float, threshold: float, operator: str) -> bool:
    """Whether one datapoint is on the alarming side of the threshold (static thresholds only)."""
    if operator not in _COMPARISONS:
        raise UnsupportedExpressionError(f"comparison operator {operator} is not modelled")
    return bool(_COMPARISONS[operator](value, threshold))
