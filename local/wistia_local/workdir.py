"""What local mode keeps between runs, so successive `wistia-pipeline run`s are incremental.

    <workdir>/s3/<bucket>/<key>        every S3 object, as a file (the Delta tables are read in place)
    <workdir>/dynamodb/<table>.json    every item of the state table
    <workdir>/secrets/pii-hmac-key     the generated local HMAC key (never leaves this machine)
    <workdir>/simulator.json           the simulated account (preset, seed, origin) runs continue
    <workdir>/runs/<execution>.json    one summary per execution

moto holds the state while a run executes; it is restored from these files at start and saved back at
the end (and around the Spark job, which reads and writes the files directly).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

STATE_FILE_MODE = 0o600


class Workdir:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def s3_root(self) -> Path:
        return self.root / "s3"

    def bucket_dir(self, bucket: str) -> Path:
        return self.s3_root / bucket

    def bucket_uri(self, bucket: str) -> str:
        return self.bucket_dir(bucket).resolve().as_uri()

    # -- S3 ---------------------------------------------------------------------------------------------

    def restore_bucket(self, s3: Any, bucket: str) -> int:
        """Upload every file of the bucket's folder; returns how many objects were restored."""
        folder = self.bucket_dir(bucket)
        count = 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            s3.put_object(Bucket=bucket, Key=path.relative_to(folder).as_posix(), Body=path.read_bytes())
            count += 1
        return count

    def save_bucket(self, s3: Any, bucket: str) -> int:
        """Make the folder an exact mirror of the bucket (files of deleted objects are removed)."""
        folder = self.bucket_dir(bucket)
        keys: set[str] = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                key = item["Key"]
                keys.add(key)
                target = folder / key
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                if not target.is_file() or target.read_bytes() != body:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _atomic_write(target, body)
        for path in [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []:
            if path.relative_to(folder).as_posix() not in keys:
                path.unlink()
        return len(keys)

    def import_changes(self, s3: Any, bucket: str, since: float) -> int:
        """Upload files written after `since` (what the Spark job wrote into the mirror)."""
        folder = self.bucket_dir(bucket)
        changed = [p for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime >= since]
        for path in changed:
            s3.put_object(Bucket=bucket, Key=path.relative_to(folder).as_posix(), Body=path.read_bytes())
        return len(changed)

    # -- DynamoDB ---------------------------------------------------------------------------------------

    def restore_table(self, dynamodb: Any, table: str) -> int:
        path = self.root / "dynamodb" / f"{table}.json"
        if not path.is_file():
            return 0
        items = json.loads(path.read_text(encoding="utf-8"))
        for item in items:
            dynamodb.put_item(TableName=table, Item=item)
        return len(items)

    def save_table(self, dynamodb: Any, table: str) -> int:
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items.extend(page.get("Items", []))
        items.sort(key=lambda item: (item["pk"]["S"], item["sk"]["S"]))
        path = self.root / "dynamodb" / f"{table}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, json.dumps(items, indent=1, sort_keys=True).encode("utf-8"))
        return len(items)

    # -- small files ------------------------------------------------------------------------------------

    def pii_key(self) -> str:
        """The local HMAC key: generated once, kept private to this workdir."""
        path = self.root / "secrets" / "pii-hmac-key"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, secrets.token_hex(32).encode("ascii"))
            path.chmod(STATE_FILE_MODE)
        return path.read_text(encoding="ascii").strip()

    def read_json(self, name: str) -> Any:
        path = self.root / name
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def write_json(self, name: str, payload: Any) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(
            path, (json.dumps(payload, indent=1, sort_keys=True, default=str) + "\n").encode("utf-8")
        )
        return path


def _atomic_write(path: Path, body: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(body)
    tmp.replace(path)
