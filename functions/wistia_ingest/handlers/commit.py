"""Commit Lambda: close a run after the merge (`outcome: succeeded`) or after a failure (`failed`).

Succeeded: `{"outcome": "succeeded", "run": <RunContext>, "merged_streams"?: [...], "transform"?: {...}}`.
Failed (from the Catch): `{"outcome": "failed", "run_id": <execution name>, "error": {Error, Cause}}`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from wistia_ingest.handlers._common import SERVICE, InvalidEventError, parse_run, require_object
from wistia_ingest.run_commit import ALL_STREAMS, commit_run, fail_run
from wistia_ingest.runtime import get_runtime

logger = Logger(service=SERVICE)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = require_object(event)
    rt = get_runtime()
    outcome = event.get("outcome")
    if outcome == "failed":
        run_id = str(event.get("run_id") or "").strip()
        if not run_id:
            raise InvalidEventError("a failed-run commit needs run_id (the execution name)")
        logger.append_keys(run_id=run_id)
        result = fail_run(run_id, event.get("error"), settings=rt.settings, state=rt.state, bronze=rt.bronze)
        logger.warning(
            "run failed", extra={"error": result["error"], "lock_released": result["lock_released"]}
        )
        return result
    if outcome != "succeeded":
        raise InvalidEventError(f"commit outcome must be 'succeeded' or 'failed', not {outcome!r}")
    ctx = parse_run(event, rt.settings)
    merged = tuple(event.get("merged_streams") or ALL_STREAMS)
    unknown = sorted(set(merged) - set(ALL_STREAMS))
    if unknown:
        raise InvalidEventError(f"unknown merged_streams {unknown}; expected some of {list(ALL_STREAMS)}")
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
