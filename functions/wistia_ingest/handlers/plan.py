"""Plan Lambda: `{"input": <execution input>, "run_id": <execution name>}` -> pointers and counts."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from wistia_ingest.handlers._common import SERVICE, InvalidEventError, require_object
from wistia_ingest.planning import plan_run
from wistia_ingest.run_request import RunRequest
from wistia_ingest.runtime import get_runtime

logger = Logger(service=SERVICE)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = require_object(event)
    run_id = str(event.get("run_id") or "").strip()
    if not run_id:
        raise InvalidEventError("the plan event needs run_id (the execution name: $$.Execution.Name)")
    request = RunRequest.parse(event.get("input"))
    logger.append_keys(run_id=run_id, mode=request.mode)
    rt = get_runtime()
    with rt.wistia(alone=True) as client:
        result = plan_run(
            request,
            run_id=run_id,
            today=rt.today(),
            settings=rt.settings,
            state=rt.state,
            bronze=rt.bronze,
            client=client,
        )
    logger.info("planned", extra={"run_key": result["run"]["run_key"], "counts": result["counts"]})
    return result
