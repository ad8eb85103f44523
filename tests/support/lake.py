"""AWS resources the Lambdas expect, created in moto for tests (the SAM template defines the real ones)."""

from __future__ import annotations

import gzip
import json
from typing import Any

BUCKET = "wistia-lake-test"
TABLE = "wistia-state-test"
TOKEN_SECRET = "wistia/api-token"
PII_SECRET = "wistia/pii-hmac-key"
PII_KEY = "test-hmac-key-3d7f1c"


def create_resources(session: Any, *, token: str) -> None:
    s3 = session.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    dynamodb = session.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    secrets = session.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(Name=TOKEN_SECRET, SecretString=json.dumps({"token": token}))
    secrets.create_secret(Name=PII_SECRET, SecretString=json.dumps({"key": PII_KEY}))


def lambda_environment(base_url: str) -> dict[str, str]:
    """The environment the SAM template gives the functions, pointed at the simulator."""
    return {
        "LAKE_BUCKET": BUCKET,
        "STATE_TABLE": TABLE,
        "WISTIA_TOKEN_SECRET_ID": TOKEN_SECRET,
        "PII_KEY_SECRET_ID": PII_SECRET,
        "PII_MODE": "hash",
        "WISTIA_BASE_URL": base_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def read_objects(s3: Any, prefix: str = "") -> dict[str, bytes]:
    """Every object under a prefix, as raw bytes (for byte-identity checks)."""
    objects: dict[str, bytes] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            objects[item["Key"]] = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
    return objects


def decode(body: bytes, key: str) -> Any:
    return json.loads(gzip.decompress(body) if key.endswith(".gz") else body)
