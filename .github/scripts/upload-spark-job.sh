#!/usr/bin/env bash
# Uploads the Spark job where the deployed state machine reads it: spark/entrypoint.py to the stack's
# SparkEntryPointUri output and the wistia_spark package, zipped, to SparkPyFilesUri. template.yaml builds
# those outputs and the state machine's SparkEntryPoint / --py-files substitutions from the same URIs
# (tests/unit/test_workflows.py checks it). EMR 7.x provides PySpark and the Delta jars; the job needs
# nothing else (docs/transform.md).
# Usage: upload-spark-job.sh STACK_NAME
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 STACK_NAME" >&2
  exit 2
fi
stack=$1
scripts=$(cd "$(dirname "$0")" && pwd)
cd "$scripts/../.."

entry_point_uri=$(bash "$scripts/stack-output.sh" "$stack" SparkEntryPointUri)
py_files_uri=$(bash "$scripts/stack-output.sh" "$stack" SparkPyFilesUri)

build_dir=$(mktemp -d)
trap 'rm -rf "$build_dir"' EXIT
# The same packaging local mode runs: entrypoint.py and a deterministic wistia_spark.zip.
python3 spark/package_job.py "$build_dir" >/dev/null

aws s3 cp --only-show-errors "$build_dir/entrypoint.py" "$entry_point_uri"
aws s3 cp --only-show-errors "$build_dir/wistia_spark.zip" "$py_files_uri"
echo "uploaded spark/entrypoint.py to $entry_point_uri"
echo "uploaded spark/wistia_spark (zip) to $py_files_uri"
