"""The CI/CD definition holds together: the workflows, their scripts, the bootstrap role and the template.

CI runs what `.ci/run` runs; every action is pinned to a commit; only the deploy job can mint an OIDC
token, through the role in a repository variable; it deploys a samconfig.toml environment whose
`Environment` is the GitHub environment it runs in; the Spark job lands where the state machine reads it
(the upload script runs against a fake `aws` and the destinations are compared with the template); the
smoke script fails unless the execution succeeded; the bootstrap role trusts only this repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from wistia_local.template import Physical, TemplateResolver, load_template

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = ROOT / ".github" / "scripts"
CI_RUN = ROOT / ".ci" / "run"
TEMPLATE_PATH = ROOT / "template.yaml"
BOOTSTRAP_PATH = ROOT / "infra" / "bootstrap-oidc.yaml"
SAMCONFIG_PATH = ROOT / "samconfig.toml"
ASL_PATH = ROOT / "statemachine" / "pipeline.asl.json"

CONFIGURE_AWS = "aws-actions/configure-aws-credentials"
PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*\b")
OIDC = "token.actions.githubusercontent.com"


# --- helpers --------------------------------------------------------------------------------------------


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def load_workflow(path: Path) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the `on:` key as the boolean true.
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return {str(key): value for key, value in loaded.items()}


def runs_of(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]).strip() for step in job.get("steps", []) if "run" in step]


def ci_run_commands() -> list[str]:
    """The commands `.ci/run` runs: every line that is not blank, a comment, `set ...` or `cd ...`."""
    commands = []
    for raw in CI_RUN.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(("set ", "cd ")):
            continue
        commands.append(line)
    return commands


_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||[()])|(?P<name>[A-Za-z_][\w.-]*))")


def evaluate(expression: str, context: dict[str, str]) -> str:
    """A GitHub expression with names, 'strings', ==, !=, && and || (enough for this repository's
    workflows; anything else fails the test). `&&` and `||` return an operand, as GitHub's do."""
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match, f"cannot read the expression {expression!r} at {text[position:]!r}"
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    index = 0

    def peek() -> str | None:
        return tokens[index][1] if index < len(tokens) else None

    def primary() -> str:
        nonlocal index
        kind, value = tokens[index]
        index += 1
        if value == "(":
            result = disjunction()
            assert peek() == ")", expression
            index += 1
            return result
        if kind == "str":
            return value[1:-1].replace("''", "'")
        assert kind == "name", f"unexpected {value!r} in {expression!r}"
        return context.get(value, "")

    def comparison() -> str:
        nonlocal index
        left = primary()
        while peek() in ("==", "!="):
            operator = tokens[index][1]
            index += 1
            right = primary()
            # Booleans as strings: only their truthiness matters to && and ||.
            left = "true" if (left.lower() == right.lower()) == (operator == "==") else ""
        return left

    def conjunction() -> str:
        nonlocal index
        left = comparison()
        while peek() == "&&":
            index += 1
            right = comparison()
            left = right if left else left
        return left

    def disjunction() -> str:
        nonlocal index
        left = conjunction()
        while peek() == "||":
            index += 1
            right = conjunction()
            left = left if left else right
        return left

    result = disjunction()
    assert index == len(tokens), f"unread tokens in {expression!r}"
    return result


def test_evaluate_follows_github_semantics() -> None:
    expression = "${{ inputs.environment == 'prod' && 'prod' || 'default' }}"
    assert evaluate(expression, {"inputs.environment": "prod"}) == "prod"
    assert evaluate(expression, {"inputs.environment": "dev"}) == "default"
    assert evaluate(expression, {}) == "default"
    assert evaluate("${{ inputs.environment || 'dev' }}", {"inputs.environment": "prod"}) == "prod"
    assert evaluate("${{ inputs.environment || 'dev' }}", {}) == "dev"


def write_fake_aws(directory: Path, outputs: dict[str, str], statuses: list[str] | None = None) -> Path:
    """An `aws` command answering describe-stacks from `outputs`, recording `s3 cp` uploads and Step
    Functions calls under `directory`, and reporting `statuses` one describe-execution call at a time."""
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    (directory / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")
    (directory / "statuses.json").write_text(json.dumps(statuses or []), encoding="utf-8")
    script = f"""#!{sys.executable}
import json, re, shutil, sys
from pathlib import Path

state = Path({str(directory)!r})
args = sys.argv[1:]
with (state / "calls.jsonl").open("a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")

def option(name):
    return args[args.index(name) + 1]

if args[:2] == ["cloudformation", "describe-stacks"]:
    key = re.search(r"OutputKey=='([^']+)'", option("--query")).group(1)
    print(json.loads((state / "outputs.json").read_text()).get(key, "None"))
elif args[:2] == ["s3", "cp"]:
    source, destination = [arg for arg in args[2:] if not arg.startswith("--")]
    uploads = state / "uploads"
    uploads.mkdir(exist_ok=True)
    copy = uploads / str(len(list(uploads.iterdir())))
    shutil.copyfile(source, copy)
    with (state / "uploads.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps({{"source": source, "destination": destination, "copy": str(copy)}}) + "\\n")
elif args[:2] == ["stepfunctions", "start-execution"]:
    print("arn:aws:states:us-east-1:123456789012:execution:WistiaPipeline-dev:" + option("--name"))
elif args[:2] == ["stepfunctions", "describe-execution"]:
    if option("--query") == "status":
        statuses = json.loads((state / "statuses.json").read_text())
        print(statuses.pop(0) if len(statuses) > 1 else statuses[0])
        (state / "statuses.json").write_text(json.dumps(statuses))
    else:
        print(json.dumps({{"status": "FAILED", "error": "WistiaAuthError", "cause": "401 from Wistia"}}))
elif args[:2] == ["stepfunctions", "stop-execution"]:
    pass
else:
    sys.exit("fake aws: unexpected call " + " ".join(args))
"""
    fake = bin_dir / "aws"
    fake.write_text(script, encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def run_script(name: str, args: list[str], bin_dir: Path) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash, "bash is needed to run the deploy scripts"
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "SMOKE_POLL_SECONDS": "0",
    }
    return subprocess.run(  # noqa: S603 (our own script, a fake aws first on PATH)
        [bash, str(SCRIPTS / name), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def read_jsonl(path: Path) -> list[Any]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load_workflow(WORKFLOWS / "ci.yml")


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load_workflow(WORKFLOWS / "deploy.yml")


@pytest.fixture(scope="module")
def deploy_job(deploy: dict[str, Any]) -> dict[str, Any]:
    job: dict[str, Any] = deploy["jobs"]["deploy"]
    return job


@pytest.fixture(scope="module")
def samconfig() -> dict[str, Any]:
    return tomllib.loads(SAMCONFIG_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE_PATH)


@pytest.fixture(scope="module")
def bootstrap() -> dict[str, Any]:
    return load_template(BOOTSTRAP_PATH)


def environment_options(deploy: dict[str, Any]) -> list[str]:
    options: list[str] = deploy["on"]["workflow_dispatch"]["inputs"]["environment"]["options"]
    return options


def deploy_contexts(deploy: dict[str, Any]) -> list[dict[str, str]]:
    """Every way the deploy job runs: a push (no inputs) and a manual run per environment choice."""
    assert "push" in deploy["on"]
    return [{}, *({"inputs.environment": option} for option in environment_options(deploy))]


# --- (a) CI runs what .ci/run runs ----------------------------------------------------------------------


def test_ci_run_has_commands() -> None:
    assert ci_run_commands() == ["make test"]


def test_ci_test_job_runs_exactly_what_ci_run_runs(ci: dict[str, Any]) -> None:
    assert runs_of(ci["jobs"]["test"]) == ci_run_commands()


def test_ci_runs_on_every_push_and_pull_request(ci: dict[str, Any]) -> None:
    triggers = ci["on"]
    assert triggers["push"] is None and triggers["pull_request"] is None, "no branch or path filters"


# --- (b) every action pinned to a commit ----------------------------------------------------------------


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    remote = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if not match:
            continue
        target, rest = match.groups()
        if target.startswith("./"):
            assert (ROOT / target).is_file(), f"{path.name}:{number}: {target} does not exist"
            continue
        remote += 1
        assert PINNED_USES.match(target), f"{path.name}:{number}: {target} is not pinned to a full commit SHA"
        assert VERSION_COMMENT.search(rest), f"{path.name}:{number}: {target} has no '# vX.Y.Z' comment"
    assert remote > 0


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_checkouts_do_not_persist_credentials(path: Path) -> None:
    for job in load_workflow(path)["jobs"].values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False


# --- (c) OIDC: only the deploy job, role from a variable ------------------------------------------------


def grants_id_token(permissions: Any) -> bool:
    if permissions == "write-all":
        return True
    return isinstance(permissions, dict) and permissions.get("id-token") == "write"


def test_only_the_deploy_job_can_request_an_oidc_token() -> None:
    grants: list[tuple[str, str | None]] = []
    for path in workflow_files():
        workflow = load_workflow(path)
        assert "permissions" in workflow, f"{path.name} must set its default permissions"
        if grants_id_token(workflow["permissions"]):
            grants.append((path.name, None))
        for name, job in workflow["jobs"].items():
            if grants_id_token(job.get("permissions")):
                grants.append((path.name, name))
    assert grants == [("deploy.yml", "deploy")]


def test_deploy_assumes_the_role_from_a_repository_variable(deploy_job: dict[str, Any]) -> None:
    steps = [
        step for step in deploy_job["steps"] if str(step.get("uses", "")).startswith(CONFIGURE_AWS + "@")
    ]
    assert len(steps) == 1
    inputs = steps[0]["with"]
    assert inputs["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(inputs), "no long-lived keys"
    assert "vars.AWS_REGION" in str(deploy_job["env"]["AWS_REGION"])
    assert inputs["aws-region"] == "${{ env.AWS_REGION }}"


def test_deploy_runs_after_ci_in_a_github_environment(
    deploy: dict[str, Any], deploy_job: dict[str, Any]
) -> None:
    assert deploy["jobs"]["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert "workflow_call" in load_workflow(WORKFLOWS / "ci.yml")["on"]
    assert deploy_job["needs"] == "ci"
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy_job["concurrency"]["cancel-in-progress"] is False
    for context in deploy_contexts(deploy):
        group = evaluate(deploy_job["concurrency"]["group"].replace("deploy-${{", "${{"), context)
        assert group == evaluate(deploy_job["environment"], context), "one group per environment"
    for context in deploy_contexts(deploy):
        assert evaluate(deploy_job["environment"], context) in environment_options(deploy)


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_no_expression_is_expanded_inside_a_shell_script(path: Path) -> None:
    """Template injection: values reach `run:` through `env:`, never as `${{ }}` in the script text."""
    for job in load_workflow(path)["jobs"].values():
        for step in job.get("steps", []):
            assert "${{" not in str(step.get("run", "")), step


# --- (d) sam deploy uses a samconfig.toml environment matching the GitHub environment ----------------


def sam_steps(job: dict[str, Any], command: str) -> list[str]:
    return [run for run in runs_of(job) if re.search(rf"\bsam {command}\b", run)]


def config_env_of(job: dict[str, Any], workflow: dict[str, Any], run: str, context: dict[str, str]) -> str:
    match = re.search(r"--config-env[ =]\"?(\$\{?(\w+)\}?|[\w-]+)\"?", run)
    assert match, f"no --config-env in {run!r}"
    if not match.group(2):
        return match.group(1)
    variable = match.group(2)
    expression = {**workflow.get("env", {}), **job.get("env", {})}.get(variable)
    assert expression is not None, f"${variable} is not set in the workflow or job env"
    return evaluate(str(expression), context)


def test_sam_deploy_uses_the_config_env_of_the_github_environment(
    deploy: dict[str, Any], deploy_job: dict[str, Any], samconfig: dict[str, Any]
) -> None:
    deploys = sam_steps(deploy_job, "deploy")
    builds = sam_steps(deploy_job, "build")
    assert len(deploys) == 1 and len(builds) == 1
    assert "--no-fail-on-empty-changeset" in deploys[0]
    for context in deploy_contexts(deploy):
        github_environment = evaluate(deploy_job["environment"], context)
        config_env = config_env_of(deploy_job, deploy, deploys[0], context)
        assert config_env == config_env_of(deploy_job, deploy, builds[0], context)
        assert config_env in samconfig, f"samconfig.toml has no [{config_env}] for {github_environment}"
        parameters = samconfig[config_env]["deploy"]["parameters"]
        assert f"Environment={github_environment}" in parameters["parameter_overrides"].split()


# --- (e) the Spark job lands where the state machine reads it -------------------------------------------


def spark_uris(template: dict[str, Any], bucket: str) -> tuple[str, str]:
    """The entry point and the --py-files zip the state machine's job run reads (DefinitionSubstitutions)."""
    resolver = TemplateResolver(template, {"ArtifactsBucket": Physical(ref=bucket)}, region="us-east-1")
    substitutions = template["Resources"]["WistiaPipeline"]["Properties"]["DefinitionSubstitutions"]
    entry_point = resolver.resolve(substitutions["SparkEntryPoint"])
    py_files = re.findall(r"--py-files\s+(\S+)", resolver.resolve(substitutions["SparkSubmitParameters"]))
    assert len(py_files) == 1
    return entry_point, py_files[0]


def test_the_state_machine_runs_the_substituted_spark_job() -> None:
    asl = json.loads(ASL_PATH.read_text(encoding="utf-8"))
    jobs = [
        state["Parameters"]["JobDriver"]["SparkSubmit"]
        for state in asl["States"].values()
        if "emr-serverless:startJobRun" in str(state.get("Resource", ""))
    ]
    assert jobs
    for job in jobs:
        assert job["EntryPoint"] == "${SparkEntryPoint}"
        assert job["SparkSubmitParameters"] == "${SparkSubmitParameters}"


def test_upload_script_puts_the_job_where_the_template_reads_it(
    template: dict[str, Any], deploy_job: dict[str, Any], tmp_path: Path
) -> None:
    assert any(".github/scripts/upload-spark-job.sh" in run for run in runs_of(deploy_job))
    bucket = "wistia-pipeline-dev-artifactsbucket-test"
    resolver = TemplateResolver(template, {"ArtifactsBucket": Physical(ref=bucket)}, region="us-east-1")
    # The fake stack answers with the template's own outputs, resolved against the fake bucket.
    outputs = {
        name: str(resolver.resolve(output["Value"]))
        for name, output in template["Outputs"].items()
        if name in {"SparkEntryPointUri", "SparkPyFilesUri", "ArtifactsBucketName"}
    }
    bin_dir = write_fake_aws(tmp_path, outputs)

    done = run_script("upload-spark-job.sh", ["wistia-pipeline-dev"], bin_dir)
    assert done.returncode == 0, done.stderr

    uploads = {
        upload["destination"]: Path(upload["copy"]) for upload in read_jsonl(tmp_path / "uploads.jsonl")
    }
    entry_point, py_files = spark_uris(template, bucket)
    assert set(uploads) == {entry_point, py_files}
    assert uploads[entry_point].read_bytes() == (ROOT / "spark" / "entrypoint.py").read_bytes()
    with zipfile.ZipFile(uploads[py_files]) as archive:
        names = set(archive.namelist())
    expected = {
        path.relative_to(ROOT / "spark").as_posix() for path in (ROOT / "spark" / "wistia_spark").glob("*.py")
    }
    assert expected <= names
    assert "wistia_spark/__init__.py" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_upload_script_fails_when_the_stack_lacks_an_output(tmp_path: Path) -> None:
    bin_dir = write_fake_aws(tmp_path, {"SparkEntryPointUri": "s3://bucket/entrypoint.py"})
    done = run_script("upload-spark-job.sh", ["wistia-pipeline-dev"], bin_dir)
    assert done.returncode != 0
    assert "no output SparkPyFilesUri" in done.stderr
    assert read_jsonl(tmp_path / "uploads.jsonl") == []


# --- the smoke execution --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "succeeds"),
    [
        (["RUNNING", "RUNNING", "SUCCEEDED"], True),
        (["RUNNING", "FAILED"], False),
        (["TIMED_OUT"], False),
        (["ABORTED"], False),
    ],
)
def test_smoke_execution_succeeds_only_if_the_execution_did(
    statuses: list[str], succeeds: bool, deploy_job: dict[str, Any], tmp_path: Path
) -> None:
    assert any(".github/scripts/smoke-execution.sh" in run for run in runs_of(deploy_job))
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:WistiaPipeline-dev"
    bin_dir = write_fake_aws(tmp_path, {"StateMachineArn": arn}, statuses)

    done = run_script("smoke-execution.sh", ["wistia-pipeline-dev", "smoke-1-1"], bin_dir)

    assert (done.returncode == 0) is succeeds, done.stdout + done.stderr
    calls = read_jsonl(tmp_path / "calls.jsonl")
    [start] = [call for call in calls if call[:2] == ["stepfunctions", "start-execution"]]
    assert start[start.index("--state-machine-arn") + 1] == arn
    assert start[start.index("--name") + 1] == "smoke-1-1"
    assert json.loads(start[start.index("--input") + 1]) == {"dry_run": True}
    if not succeeds:
        assert "401 from Wistia" in done.stdout


def test_smoke_execution_gives_up_and_stops_a_run_that_does_not_end(tmp_path: Path) -> None:
    bin_dir = write_fake_aws(tmp_path, {"StateMachineArn": "arn:sm"}, ["RUNNING"])
    done = run_script("smoke-execution.sh", ["wistia-pipeline-dev", "smoke-2-1", "0"], bin_dir)
    assert done.returncode == 1
    assert any(
        call[:2] == ["stepfunctions", "stop-execution"] for call in read_jsonl(tmp_path / "calls.jsonl")
    )


# --- (f) the bootstrap role trusts this repository only -------------------------------------------------


def values(item: Any) -> list[Any]:
    """The possible values of a list entry: both branches of an Fn::If, none for AWS::NoValue."""
    if isinstance(item, dict) and "Fn::If" in item:
        return [value for branch in item["Fn::If"][1:] for value in values(branch)]
    if item == {"Ref": "AWS::NoValue"}:
        return []
    return [item]


def test_bootstrap_role_trusts_only_this_repository(
    bootstrap: dict[str, Any], deploy: dict[str, Any]
) -> None:
    assert {"GitHubOrg", "GitHubRepo"} <= set(bootstrap["Parameters"])
    provider = bootstrap["Resources"]["GitHubOidcProvider"]["Properties"]
    assert provider["Url"] == f"https://{OIDC}"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]

    role = bootstrap["Resources"]["DeployRole"]["Properties"]
    statements = role["AssumeRolePolicyDocument"]["Statement"]
    assert statements and all(
        statement["Action"] == "sts:AssumeRoleWithWebIdentity" for statement in statements
    )
    subjects: list[str] = []
    for statement in statements:
        condition = statement["Condition"]
        assert set(condition) == {"StringEquals"}, "exact subjects only: no StringLike, no wildcards"
        assert condition["StringEquals"][f"{OIDC}:aud"] == "sts.amazonaws.com"
        entries = condition["StringEquals"][f"{OIDC}:sub"]
        for entry in entries if isinstance(entries, list) else [entries]:
            for value in values(entry):
                assert set(value) == {"Fn::Sub"}, value
                subjects.append(value["Fn::Sub"])
    prefix = "repo:${GitHubOrg}/${GitHubRepo}:"
    assert subjects and all(subject.startswith(prefix) and "*" not in subject for subject in subjects)
    # Every environment the deploy workflow runs in can assume the role.
    for option in environment_options(deploy):
        assert f"{prefix}environment:{option}" in subjects


def test_bootstrap_role_covers_the_stacks_samconfig_deploys(
    bootstrap: dict[str, Any], samconfig: dict[str, Any]
) -> None:
    prefix = bootstrap["Parameters"]["StackNamePrefix"]["Default"]
    for section in samconfig.values():
        if not isinstance(section, dict) or "deploy" not in section:
            continue
        parameters = section["deploy"]["parameters"]
        assert parameters["stack_name"].startswith(f"{prefix}-")
        # The alerts key is scoped by the `project` tag CloudFormation propagates from the stack's tags.
        assert f"project={prefix}" in parameters["tags"].split()
