"""Lambda: ingest visitors in the mode Plan chose (`run.visitors`: snapshot, by_key or skip).

It runs last before Transform, so it also renews the run's lease (LockLostError if another run took it).

Event:  {"run": <RunContext>}
Result: {"unit", "mode" (the mode that ran), "records", "pages", "repeats", "lookups", "not_found",
"requests"}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from wistia_ingest.handlers._common import SERVICE, parse_run
from wistia_ingest.runtime import get_runtime
from wistia_ingest.visitor_ingest import ingest_visitors, skipped

logger = Logger(service=SERVICE)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rt = get_runtime()
    ctx = parse_run(event, rt.settings)
    logger.append_keys(run_id=ctx.run_id, run_key=ctx.run_key, planned_mode=ctx.visitors)
    # The last Lambda before Transform, the longest step: the lease taken at Plan must outlast the merge.
    rt.state.renew_lock(ctx.run_id, lease_seconds=rt.settings.lock_lease_seconds)
    if ctx.visitors == "skip":
        result = skipped()  # no token or PII key needed
    else:
        with rt.wistia(alone=True) as client:
            last = rt.state.watermarks().get("visitors")
            result = ingest_visitors(
                client=client,
                bronze=rt.bronze,
                pii=rt.pii,
                ctx=ctx,
                last_snapshot=dt.date.fromisoformat(last) if last else None,
            )
    logger.info("visitors ingested", extra={"result": result})
    return result
