"""What every ingestion handler shares: the structured logger and reading the event the state machine sends.

A malformed event is a bug in the state machine or a hand-written console input, so it fails at once
with an `InvalidEventError` that says which field is wrong and what it should hold (Step Functions shows
the class name as the error type and the message as the cause). Messages never echo input values.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from wistia_ingest.run_context import RunContext
from wistia_ingest.settings import Settings

SERVICE = "wistia-pipeline"
M = TypeVar("M", bound=BaseModel)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidEventError(ValueError):
    """The Lambda event does not have the shape the state machine sends."""


def require_object(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise InvalidEventError(
            f"the event must be a JSON object with a 'run' field, got a {type(event).__name__}"
        )
    return event


def parse_run(event: Any, settings: Settings | None = None) -> RunContext:
    """`event["run"]` as a RunContext (the Plan step's output, passed along as `$.run`).

    With `settings`, also checks that the run was planned for the bucket this function writes to.
    """
    body = require_object(event)
    if "run" not in body:
        raise InvalidEventError(
            "the event has no 'run' field: pass the Plan step's run context as {\"run\": $.run, ...}"
        )
    ctx = parse_model(RunContext, body["run"], "run")
    if settings is not None and ctx.bucket != settings.lake_bucket:
        raise InvalidEventError(
            f"run {ctx.run_key} was planned for bucket {ctx.bucket!r} but this function writes to "
            f"LAKE_BUCKET={settings.lake_bucket!r}; re-plan the run with this deployment's settings"
        )
    return ctx


def parse_model(model: type[M], value: Any, name: str) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InvalidEventError(f"the event's {name!r} field is invalid: {describe(exc)}") from None


def parse_day(value: Any, name: str = "day") -> dt.date:
    """A calendar day given as the string YYYY-MM-DD (no timestamps, no numbers)."""
    if not isinstance(value, str) or not _DAY.match(value):
        shown = type(value).__name__ if not isinstance(value, str) else "a string of another shape"
        raise InvalidEventError(f"the event's {name!r} field must be a day as 'YYYY-MM-DD', got {shown}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidEventError(f"the event's {name!r} field is not a calendar day: {value!r}") from None


def describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False)[:8]:
        where = ".".join(str(part) for part in error["loc"]) or "<root>"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)
