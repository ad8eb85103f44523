"""Small files of the lake (manifest, parts, summary) through Spark's own filesystem layer.

On EMR Serverless that is EMRFS for `s3://`; locally, `file://`. No boto3, no s3a: the job reads and
writes exactly where Spark does, with the job role's permissions.
"""

from __future__ import annotations

import json
from typing import Any


class LakeStorage:
    def __init__(self, spark: Any, lake_uri: str) -> None:
        self._spark = spark
        self.lake_uri = lake_uri.rstrip("/")

    def uri(self, key: str) -> str:
        return f"{self.lake_uri}/{key.lstrip('/')}"

    def read_json(self, key: str) -> Any:
        rows = self._spark.read.text(self.uri(key), wholetext=True).collect()
        if not rows:
            raise FileNotFoundError(f"{self.uri(key)} is empty or missing")
        return json.loads(rows[0][0])

    def read_json_dir(self, prefix: str) -> list[Any]:
        """Every `*.json` object directly under a prefix (e.g. a run's parts), in key order."""
        if not self.exists(prefix):
            return []
        frame = self._spark.read.text(self.uri(prefix.rstrip("/") + "/*.json"), wholetext=True)
        rows = frame.selectExpr("input_file_name() AS path", "value").orderBy("path").collect()
        return [json.loads(row.value) for row in rows]

    def exists(self, key: str) -> bool:
        path = self._path(key)
        return bool(path.getFileSystem(self._conf()).exists(path))

    def write_json(self, key: str, payload: Any) -> str:
        path = self._path(key)
        stream = path.getFileSystem(self._conf()).create(path, True)
        try:
            stream.write(
                bytearray(json.dumps(payload, indent=1, sort_keys=True, default=str).encode("utf-8"))
            )
        finally:
            stream.close()
        return self.uri(key)

    def _path(self, key: str) -> Any:
        return self._spark._jvm.org.apache.hadoop.fs.Path(self.uri(key))

    def _conf(self) -> Any:
        return self._spark._jsc.hadoopConfiguration()
