"""Lambda: ingest one closed UTC day of /stats/events (an item of the IngestEvents Map) into bronze.

Event:  {"run": <RunContext>, "day": "YYYY-MM-DD", "media_id": "abc123defg" (optional)}
Result: {"unit", "day", "records", "pages", "requests", "visitor_keys"}
Nothing is written unless every page of the day was read; a re-run of the day overwrites it.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from wistia_ingest.event_ingest import check_day, ingest_events_day
from wistia_ingest.handlers._common import (
    SERVICE,
    InvalidEventError,
    parse_day,
    parse_run,
    require_object,
)
from wistia_ingest.run_context import MEDIA_ID_PATTERN
from wistia_ingest.runtime import get_runtime

logger = Logger(service=SERVICE)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rt = get_runtime()
    ctx = parse_run(event, rt.settings)
    body = require_object(event)
    day = parse_day(body.get("day"))
    media_id = _media_id(body.get("media_id"))
    check_day(ctx, day)  # before opening a client or reading secrets
    logger.append_keys(run_id=ctx.run_id, run_key=ctx.run_key, day=day.isoformat(), media_id=media_id)
    with rt.wistia() as client:
        result = ingest_events_day(
            client=client, bronze=rt.bronze, pii=rt.pii, ctx=ctx, day=day, media_id=media_id, log=logger
        )
    logger.info("events day ingested", extra={"result": result})
    return result


def _media_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(MEDIA_ID_PATTERN, value):
        raise InvalidEventError("the event's 'media_id' field must be a media hashed id (letters and digits)")
    return value
