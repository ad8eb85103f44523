#!/usr/bin/env bash
# Starts a dry-run execution ({"dry_run": true}: Plan only, nothing written) of the stack's state machine
# and waits for it; exits 0 only if it SUCCEEDED, else prints its error and cause and exits 1.
# Usage: smoke-execution.sh STACK_NAME EXECUTION_NAME [TIMEOUT_SECONDS]  (default 900)
# SMOKE_POLL_SECONDS sets the polling interval (default 10).
set -euo pipefail

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: $0 STACK_NAME EXECUTION_NAME [TIMEOUT_SECONDS]" >&2
  exit 2
fi
stack=$1
name=$2
timeout=${3:-900}
interval=${SMOKE_POLL_SECONDS:-10}
scripts=$(cd "$(dirname "$0")" && pwd)

state_machine_arn=$(bash "$scripts/stack-output.sh" "$stack" StateMachineArn)
# The execution name is the run id (unique per workflow run and attempt).
execution_arn=$(aws stepfunctions start-execution --state-machine-arn "$state_machine_arn" \
  --name "$name" --input '{"dry_run": true}' --query executionArn --output text)
echo "started $execution_arn"

deadline=$((SECONDS + timeout))
while :; do
  status=$(aws stepfunctions describe-execution --execution-arn "$execution_arn" --query status --output text)
  if [ "$status" != "RUNNING" ]; then
    break
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "::error::smoke execution $name still RUNNING after ${timeout}s; stopping it"
    aws stepfunctions stop-execution --execution-arn "$execution_arn" \
      --error Smoke.Timeout --cause "still running after ${timeout}s" >/dev/null || true
    exit 1
  fi
  sleep "$interval"
done

if [ "$status" != "SUCCEEDED" ]; then
  echo "::error::smoke execution $name ended $status"
  aws stepfunctions describe-execution --execution-arn "$execution_arn" \
    --query '{status: status, error: error, cause: cause}' --output json
  exit 1
fi
echo "smoke execution $name SUCCEEDED"
