#!/usr/bin/env bash
# Prints one output of a CloudFormation stack. Usage: stack-output.sh STACK_NAME OUTPUT_KEY
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: $0 STACK_NAME OUTPUT_KEY" >&2
  exit 2
fi
stack=$1
key=$2

value=$(aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='${key}'].OutputValue | [0]" --output text)
if [ -z "$value" ] || [ "$value" = "None" ]; then
  echo "error: stack $stack has no output $key" >&2
  exit 1
fi
printf '%s\n' "$value"
