# bizdev: `make up` runs the whole system locally, `make test` runs every test.
# Both install what they need first (system packages, uv, Python deps, Kafka jars, the
# npm tools that check the OpenAPI documents).

SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else the one ensure-system.sh installs from PyPI into the user site.
UV = $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
KAFKA_LIBS := deploy/local/kafka/libs
ROLE ?= employee
DEPT ?= sales
USER_ID ?=
comma := ,

.PHONY: help install up demo analytics test lint contracts contracts-check unit integration bench bench-quick token manifests clean

help:
	@echo "make up      run Kafka, PostgreSQL and every service (Ctrl-C stops)"
	@echo "make demo    (with make up running) fill it with a company through the HTTP APIs"
	@echo "make analytics   (with make up running) the topics into .state/analytics.duckdb, and the ready queries"
	@echo "make test    lint, unit and integration tests against real Kafka and PostgreSQL"
	@echo "make e2e     the regulations end to end: one business across the six services"
	@echo "make token ROLE=department_head DEPT=sales [USER_ID=bob]   print a dev JWT"
	@echo "make contracts   regenerate contracts/: event schemas, AsyncAPI documents, CATALOG.md"
	@echo "make bench   command path, relay, projector, freshness, memory and queries beside"
	@echo "             their baselines, one run (minutes); table in .bench/latest.json"
	@echo "make manifests   regenerate compose's and Kubernetes' service parts from services/*"
	@echo "make clean   remove local data (.state) and the fetched Kafka jars"

OPENAPI_TOOLS := tools/openapi-check

install: .venv/.installed $(KAFKA_LIBS)/.fetched $(OPENAPI_TOOLS)/node_modules/.installed

.venv/.installed: pyproject.toml uv.lock libs/common/pyproject.toml $(wildcard services/*/pyproject.toml)
	@PYTHON=$(PYTHON) deploy/local/ensure-system.sh
	$(UV) sync --frozen --all-packages
	@touch $@

$(KAFKA_LIBS)/.fetched: deploy/local/kafka/pom.xml
	@PYTHON=$(PYTHON) deploy/local/ensure-system.sh
	rm -rf $(KAFKA_LIBS)  # a changed pom must not leave the old versions' jars beside the new
	mvn -q -B -f deploy/local/kafka/pom.xml dependency:copy-dependencies -DincludeScope=runtime
	@touch $@

# What a frontend runs on the OpenAPI documents (linters, a client generator, tsc), for
# tests/deploy/test_openapi_clients.py; exactly the locked versions.
$(OPENAPI_TOOLS)/node_modules/.installed: $(OPENAPI_TOOLS)/package.json $(OPENAPI_TOOLS)/package-lock.json
	@PYTHON=$(PYTHON) deploy/local/ensure-system.sh
	cd $(OPENAPI_TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

up: install
	$(UV) run --frozen python deploy/local/launcher.py up

# Against a running `make up`: a believable company, made through the services' HTTP APIs.
demo: install
	$(UV) run --frozen python deploy/local/demo

# Incremental: a second run adds what arrived since (docs/analytics.md).
analytics: install
	$(UV) run --frozen bizdev export .state/analytics.duckdb --report

# The quick benchmark runs too, so that it cannot rot; it prints figures, it asserts nothing.
# TEST_WORKERS pytest processes (pytest-xdist), a test file to each at a time (a group: see
# conftest.py): most of an integration test's time is waiting on the services, which another
# file's tests use; each worker starts its own PostgreSQL, Kafka and services when its first
# file needs them.
TEST_WORKERS ?= 2
test: install lint contracts-check
	$(UV) run --frozen pytest -n $(TEST_WORKERS) --dist loadgroup
	$(MAKE) --no-print-directory bench-quick

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy libs/common/src services/*/src

# The published event contracts, generated from the code (bizdev_common/catalog.py).
contracts: install
	$(UV) run --frozen bizdev-contracts generate

# Fails when contracts/ is stale, or an event changed incompatibly without a new version,
# compared with CONTRACTS_BASE (default: where this branch left main).
CONTRACTS_BASE ?=
contracts-check: install
	$(UV) run --frozen bizdev-contracts check $(if $(CONTRACTS_BASE),--base $(CONTRACTS_BASE))

unit: install
	$(UV) run --frozen pytest libs services tests/deploy

integration: install
	$(UV) run --frozen pytest tests/integration

.PHONY: e2e
e2e: install  ## the regulations end to end: one business across the six services
	$(UV) run --frozen pytest tests/integration/test_company.py

bench: install
	$(UV) run --frozen python benchmarks/bench.py

bench-quick: install
	$(UV) run --frozen python benchmarks/bench.py --quick

manifests: install
	$(UV) run --frozen python deploy/generate.py

token: install
	@$(UV) run --frozen bizdev token $(subst $(comma), ,$(ROLE)) --dept $(DEPT) $(if $(USER_ID),--user $(USER_ID))

clean:
	rm -rf .state $(KAFKA_LIBS)
