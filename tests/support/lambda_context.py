"""A Lambda context object with the attributes Powertools reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FakeLambdaContext:
    function_name: str = "wistia-pipeline-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:wistia-pipeline-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
