"""Create the template's resources in moto, under local names, and the Lambdas' environment.

Each resource type the pipeline's execution touches is created for real in moto (buckets, the state
table, secrets, the topic, IAM roles, the functions bound to their in-process handlers, the EMR
Serverless application, the state machine from the real ASL with the template's substitutions).
Types that only matter in AWS (schedules, alarms, log groups, Glue, Athena) are listed as skipped.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from wistia_local.template import REPO_ROOT, Physical, TemplateResolver, load_template

STATE_MACHINE_NAME = "WistiaPipeline"
# Stack outputs local mode needs: where the deploy uploads the Spark job.
LOCAL_OUTPUTS = ("SparkEntryPointUri", "SparkPyFilesUri")


@dataclass
class LocalStack:
    """What was created: physical ids by logical id, the Lambda environment, the state machine ARN."""

    physical: dict[str, Physical] = field(default_factory=dict)
    lambda_environment: dict[str, str] = field(default_factory=dict)
    state_machine_arn: str = ""
    buckets: dict[str, str] = field(default_factory=dict)  # logical -> name
    tables: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # LOCAL_OUTPUTS, resolved


def local_name(logical: str, suffix_to_drop: str = "") -> str:
    """`LakeBucket` -> `wistia-lake`, `StateTable` -> `wistia-state`."""
    base = logical[: -len(suffix_to_drop)] if suffix_to_drop and logical.endswith(suffix_to_drop) else logical
    return "wistia-" + re.sub(r"(?<!^)(?=[A-Z])", "-", base).lower()


def create_stack(
    aws: Any,
    *,
    region: str,
    secret_values: dict[str, dict[str, str]],
    parameters: dict[str, str] | None = None,
) -> LocalStack:
    """Create everything; `secret_values` maps a secret's logical id to its JSON value."""
    template = load_template()
    builder = _StackBuilder(aws, template, region=region, secret_values=secret_values, parameters=parameters)
    return builder.build()


class _StackBuilder:
    def __init__(
        self,
        aws: Any,
        template: dict[str, Any],
        *,
        region: str,
        secret_values: dict[str, dict[str, str]],
        parameters: dict[str, str] | None,
    ) -> None:
        self.aws = aws
        self.template = template
        self.region = region
        self.secret_values = secret_values
        self.stack = LocalStack()
        self.resolver = TemplateResolver(template, self.stack.physical, region=region, parameters=parameters)
        self.role_arn = ""

    def build(self) -> LocalStack:
        resources: dict[str, Any] = self.template["Resources"]
        self.role_arn = self.aws.client("iam").create_role(
            RoleName="wistia-local-role",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        creators = {
            "AWS::S3::Bucket": self._bucket,
            "AWS::DynamoDB::Table": self._table,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::SNS::Topic": self._topic,
            "AWS::EMRServerless::Application": self._emr_application,
            "AWS::IAM::Role": self._role,
        }
        later = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
        for logical, resource in resources.items():
            kind, props = resource["Type"], resource.get("Properties") or {}
            if kind in creators:
                creators[kind](logical, props)
            elif kind not in later:
                self.stack.skipped.append(f"{logical} ({kind})")  # AWS-only: schedules, alarms, Glue, Athena
        function_globals = (self.template.get("Globals") or {}).get("Function") or {}
        variables = (function_globals.get("Environment") or {}).get("Variables") or {}
        self.stack.lambda_environment = {
            name: str(self.resolver.resolve(value)) for name, value in variables.items()
        }
        for logical, resource in resources.items():
            if resource["Type"] == "AWS::Serverless::Function":
                props = resource.get("Properties") or {}
                self._function(logical, str(props.get("Handler") or function_globals.get("Handler")))
        for logical, resource in resources.items():
            if resource["Type"] == "AWS::Serverless::StateMachine":
                self._state_machine(logical, resource.get("Properties") or {})
        if not self.stack.state_machine_arn:
            raise ValueError("template.yaml defines no AWS::Serverless::StateMachine")
        outputs = self.template.get("Outputs") or {}
        self.stack.outputs = {
            name: str(self.resolver.resolve(outputs[name]["Value"])) for name in LOCAL_OUTPUTS
        }
        return self.stack

    def _bucket(self, logical: str, props: dict[str, Any]) -> None:
        name = local_name(logical, "Bucket")
        self.aws.client("s3").create_bucket(Bucket=name)
        self.stack.physical[logical] = Physical(name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": name})
        self.stack.buckets[logical] = name

    def _table(self, logical: str, props: dict[str, Any]) -> None:
        name = local_name(logical, "Table")
        self.aws.client("dynamodb").create_table(
            TableName=name,
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
        )
        arn = f"arn:aws:dynamodb:{self.region}:123456789012:table/{name}"
        self.stack.physical[logical] = Physical(name, {"Arn": arn, "StreamArn": arn})
        self.stack.tables[logical] = name

    def _secret(self, logical: str, props: dict[str, Any]) -> None:
        if logical not in self.secret_values:
            raise ValueError(f"local mode has no value for secret {logical}; add it to secret_values")
        arn = self.aws.client("secretsmanager").create_secret(
            Name=local_name(logical, "Secret"), SecretString=json.dumps(self.secret_values[logical])
        )["ARN"]
        self.stack.physical[logical] = Physical(arn, {"Arn": arn})

    def _topic(self, logical: str, props: dict[str, Any]) -> None:
        name = local_name(logical, "Topic")
        arn = self.aws.client("sns").create_topic(Name=name)["TopicArn"]
        self.stack.physical[logical] = Physical(arn, {"Arn": arn, "TopicName": name})

    def _role(self, logical: str, props: dict[str, Any]) -> None:
        self.stack.physical[logical] = Physical(local_name(logical), {"Arn": self.role_arn})

    def _emr_application(self, logical: str, props: dict[str, Any]) -> None:
        app = self.aws.client("emr-serverless").create_application(
            name=local_name(logical),
            releaseLabel=str(self.resolver.resolve(props.get("ReleaseLabel"))),
            type="SPARK",
        )
        self.stack.physical[logical] = Physical(
            app["applicationId"], {"Arn": app["arn"], "ApplicationId": app["applicationId"]}
        )

    def _function(self, logical: str, handler: str) -> None:
        name = local_name(logical, "Function")
        arn = self.aws.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=self.role_arn,
            Handler=handler,
            Code={"ZipFile": _placeholder_zip()},
            Environment={"Variables": self.stack.lambda_environment},
        )["FunctionArn"]
        self.aws.register_handler(name, handler)
        self.stack.physical[logical] = Physical(name, {"Arn": arn})

    def _state_machine(self, logical: str, props: dict[str, Any]) -> None:
        definition = render_definition(props, self.resolver)
        arn = self.aws.client("stepfunctions").create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition, roleArn=self.role_arn, type="STANDARD"
        )["stateMachineArn"]
        self.stack.physical[logical] = Physical(arn, {"Arn": arn, "Name": STATE_MACHINE_NAME})
        self.stack.state_machine_arn = arn


def render_definition(props: dict[str, Any], resolver: TemplateResolver) -> str:
    """The ASL file with every DefinitionSubstitutions placeholder replaced, as SAM does at deploy."""
    definition = (REPO_ROOT / str(props["DefinitionUri"])).read_text(encoding="utf-8")
    for name, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + name + "}", str(resolver.resolve(value)))
    leftover = sorted(set(re.findall(r"\$\{([^}]+)\}", definition)))
    if leftover:
        raise ValueError(f"the state machine still has placeholders {leftover} after substitution")
    return definition


def _placeholder_zip() -> bytes:
    """moto wants a code package; the handlers run in-process (see moto_patches.py)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "local mode runs the handlers in-process")
    return buffer.getvalue()
