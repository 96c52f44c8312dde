# Two commands do everything on a fresh machine:
#   make run    Sample City: plan from its calls, then run the live service and its consoles
#   make test   create the virtual environment from uv.lock and run the test suite
UV_VERSION := 0.13.9
PYTHON ?= python3
TOOLS := .tools
VENV := .venv
UV := $(TOOLS)/bin/uv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Trust the platform certificate store, as pip does (networks with their own root CA).
export UV_SYSTEM_CERTS := 1
# Browser tests drive Debian's Chromium (Playwright talks to it over CDP); apt needs root.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test lint bench bench-triage bench-plan bench-simulation bench-operations bench-demo clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

run: $(VENV)/.synced
	$(BIN)/altresponse demo

# The database tests run on SQLite and on a throwaway PostgreSQL server (scripts/test-postgres,
# from Debian's packages, on 127.0.0.1), stopped and removed after the run whatever its outcome.
test: $(VENV)/.synced $(CHROMIUM)
	@pgdir=$$(mktemp -d) && chmod 755 $$pgdir && \
	url=$$(scripts/test-postgres start $$pgdir/data) && \
	ALTRESPONSE_TEST_POSTGRES_URL=$$url $(BIN)/pytest; status=$$?; \
	scripts/test-postgres stop $$pgdir/data; rm -rf $$pgdir; exit $$status

lint: $(VENV)/.synced
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(VENV)/.synced
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/triage_bench.py
	$(BIN)/python bench/plan_bench.py
	$(BIN)/python bench/simulation_bench.py
	$(BIN)/python bench/operations_bench.py
	$(BIN)/python bench/demo_soak.py

bench-demo: $(VENV)/.synced
	$(BIN)/python bench/demo_soak.py

bench-operations: $(VENV)/.synced
	$(BIN)/python bench/operations_bench.py

bench-simulation: $(VENV)/.synced
	$(BIN)/python bench/simulation_bench.py

bench-plan: $(VENV)/.synced
	$(BIN)/python bench/plan_bench.py

bench-triage: $(VENV)/.synced
	$(BIN)/python bench/triage_bench.py

clean:
	rm -rf $(TOOLS) $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
