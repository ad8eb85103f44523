"""Lambda: ingest one batch of medias (an item of the IngestMedia Map) into bronze.

Event:  {"run": <RunContext>, "batch": {"index": 3, "medias": [{"id": "abc123defg", "since": null}]}}
Result: {"unit", "medias", "objects", "records", "failed": [ids], "gone": [ids], "requests"}
A media that fails is listed in `failed` and does not fail the invocation; a bad token does, and
leaves a failure note (`_runs/run=<key>/failures/<unit>.json`) that the failure record quotes.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from wistia_ingest.handlers._common import SERVICE, parse_model, parse_run, require_object
from wistia_ingest.media_ingest import MediaBatch, ingest_media_batch
from wistia_ingest.runtime import get_runtime

logger = Logger(service=SERVICE)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rt = get_runtime()
    ctx = parse_run(event, rt.settings)
    batch = parse_model(MediaBatch, require_object(event).get("batch"), "batch")
    logger.append_keys(
        run_id=ctx.run_id, run_key=ctx.run_key, unit=batch.unit, media_ids=[item.id for item in batch.medias]
    )
    try:
        with rt.wistia() as client:
            result = ingest_media_batch(client=client, bronze=rt.bronze, ctx=ctx, batch=batch, log=logger)
    except Exception as exc:
        # The distributed Map reports only that too many batches failed; this note keeps the why.
        try:
            rt.bronze.write_failure(ctx, batch.unit, exc)
        except Exception:  # never let the note hide the error itself
            logger.exception("could not write the batch's failure note")
        raise
    logger.info("media batch ingested", extra={"result": result})
    return result
