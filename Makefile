# Two commands do all the set-up on a fresh clone: `make demo` (the main job) and `make test` (every test).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint format typecheck lock clean

setup: $(STAMP)

# Re-install only when a pin changes; `make setup` is cheap and idempotent after the first run.
$(STAMP): requirements.txt requirements-dev.txt functions/requirements.txt constraints.txt pyproject.toml package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	npm ci --no-audit --no-fund
	touch $(STAMP)

demo: setup
	$(BIN)/wistia-pipeline run --preset demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: setup
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	$(BIN)/pytest -n 2 --dist loadgroup

# Re-pin every transitive dependency from a fresh resolve of the requirements files.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	{ echo "# Every package in .venv, pinned (transitive ones included) so a fresh clone installs what CI tested."; \
	  echo "# Regenerate with 'make lock' after changing a requirements file."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
