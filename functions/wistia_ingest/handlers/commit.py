"""Commit Lambda: close a run after the merge (`outcome: succeeded`) or after a failure (`failed`).

Succeeded: `{"outcome": "succeeded", "run": <RunContext>, "merged_streams"?: [...], "transform"?: {...}}`.
Failed (from the Catch): `{"outcome": "failed", "run_id": <execution name>, "error": {Error, Cause}}`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from wistia_ingest.run_commit import ALL_STREAMS, commit_run, fail_run
from wistia_ingest.run_context import RunContext
from wistia_ingest.run_request import InvalidRunRequestError
from wistia_ingest.runtime import get_runtime

logger = Logger(service="wistia-pipeline")


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = event or {}
    rt = get_runtime()
    outcome = event.get("outcome")
    if outcome == "failed":
        run_id = str(event.get("run_id") or "").strip()
        if not run_id:
            raise InvalidRunRequestError("a failed-run commit needs run_id (the execution name)")
        logger.append_keys(run_id=run_id)
        result = fail_run(run_id, event.get("error"), settings=rt.settings, state=rt.state)
        logger.warning(
            "run failed", extra={"error": result["error"], "lock_released": result["lock_released"]}
        )
        return result
    if outcome != "succeeded":
        raise InvalidRunRequestError(f"commit outcome must be 'succeeded' or 'failed', not {outcome!r}")
    try:
        ctx = RunContext.model_validate(event.get("run"))
    except ValidationError as exc:
        raise InvalidRunRequestError(
            f"commit event has no valid 'run' context: {exc.error_count()} errors"
        ) from None
    merged = tuple(event.get("merged_streams") or ALL_STREAMS)
    unknown = sorted(set(merged) - set(ALL_STREAMS))
    if unknown:
        raise InvalidRunRequestError(
            f"unknown merged_streams {unknown}; expected some of {list(ALL_STREAMS)}"
        )
    logger.append_keys(run_id=ctx.run_id, run_key=ctx.run_key)
    result = commit_run(
        ctx,
        merged_streams=merged,
        transform_summary=event.get("transform"),
        settings=rt.settings,
        state=rt.state,
        bronze=rt.bronze,
    )
    logger.info("run committed", extra={"watermarks_advanced": result["watermarks_advanced"]})
    return result
