# TicketFlow. `make dev` runs it; `make test` runs every test. Both install what is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PY_OK  := $(VENV)/.installed
UV     := $(BIN)/uv
LOCK   := requirements/dev.lock
JS_OK  := router/node_modules/.installed
# The SDK's code generator (ariadne-codegen) has a venv of its own: it pins graphql-core
# and ruff below the project's.
CODEGEN    := .venv-codegen
CODEGEN_OK := $(CODEGEN)/.installed
PYTEST := $(BIN)/pytest
NODE   := router/node_modules/.bin/node --no-experimental-webstorage
# The web app (web/): its npm packages, and its build (web/dist, which the router serves at /).
# It builds with the project's Node (router/node_modules/.bin first on PATH: npm, codegen, tsc
# and Vite all run on it), and again only when what goes into it changed: its sources, its
# page, its lockfile and config, or the supergraph its GraphQL documents are checked against.
WEB_OK   := web/node_modules/.installed
WEB_DIST := web/dist/index.html
WEB_SRC  := $(shell find web/src -type f -not -path 'web/src/gql/*' 2>/dev/null)
NODE_BIN := $(abspath router/node_modules/.bin)

.PHONY: dev install installed lock schema schema-check sdk sdk-check trusted-documents trusted-documents-check web browser test test-fast test-unit test-integration test-e2e fuzz lint services clean

# The four installs run side by side (each npm ci alone takes about a minute on a fresh machine).
install:
	@$(MAKE) --no-print-directory -j4 installed

installed: $(PY_OK) $(JS_OK) $(CODEGEN_OK) $(WEB_OK)
	@:

# The venv holds exactly what the lockfiles pin (hashes required), then the project and the
# SDK themselves, editable and without their dependencies (the lock has them). Packages are
# compiled to bytecode as they are installed: where PYTHONDONTWRITEBYTECODE is set (these
# machines set it) no process would ever cache its imports, and every start of a subgraph,
# a test worker or the CLI compiled them again (3 of the 9 s pytest took to collect).
$(PY_OK): $(UV) $(LOCK) pyproject.toml sdk/pyproject.toml
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes $(LOCK) requirements/bootstrap.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e . -e sdk
	touch $@

# uv, from PyPI by pip, pinned and hashed.
$(UV): requirements/bootstrap.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/bootstrap.lock
	touch $@

## Compile the lockfiles from pyproject.toml (and sdk/pyproject.toml, requirements/bootstrap.in)
## after changing a dependency; `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest.
COMPILE := UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV) pip compile --quiet --universal \
	--python-version 3.11 --generate-hashes $(LOCK_FLAGS)
lock: $(UV)
	$(COMPILE) --extra dev pyproject.toml sdk/pyproject.toml -o $(LOCK)
	$(COMPILE) pyproject.toml -o requirements/runtime.lock
	$(COMPILE) requirements/bootstrap.in -o requirements/bootstrap.lock
	$(COMPILE) requirements/codegen.in -o requirements/codegen.lock

$(CODEGEN_OK): $(UV) requirements/codegen.lock
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CODEGEN)
	$(UV) pip sync --quiet --compile-bytecode --python $(CODEGEN)/bin/python --require-hashes requirements/codegen.lock
	touch $@

$(JS_OK): router/package.json router/package-lock.json
	cd router && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Any npm that can run `npm ci` installs the web app's packages (like the router's); only
# building and testing it need the project's Node.
$(WEB_OK): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Build the web app into web/dist (GraphQL codegen against the supergraph, tsc, Vite); the
## router serves it at http://localhost:4000/. `make dev` and `make test` build it first.
web: $(WEB_DIST)

$(WEB_DIST): $(WEB_OK) $(JS_OK) $(WEB_SRC) web/index.html web/package-lock.json \
		web/codegen.ts web/vite.config.ts web/tsconfig.json schema/supergraph.graphql
	cd web && PATH=$(NODE_BIN):$$PATH npm run build
	touch $@

## Chromium for the web app's browser tests: Debian's package, installed when
## /usr/bin/chromium is missing (as root, or with sudo).
browser:
	@scripts/browser.sh

## Run TicketFlow: embedded by default (SQLite + in-process events); PostgreSQL/Redis when
## TICKETFLOW_POSTGRES_DSN and TICKETFLOW_REDIS_URL are set.
dev: install web
	$(BIN)/ticketflow dev

## Export every subgraph's SDL and compose the supergraph (Hive's and Apollo's composers),
## then regenerate the SDK from it (`make sdk`).
schema: install
	$(BIN)/ticketflow export-schema
	$(NODE) router/compose.mjs supergraph.yaml schema/supergraph.graphql
	@$(MAKE) --no-print-directory sdk trusted-documents

## Generate the SDK's models and operations (sdk/ticketflow_sdk/_generated/) from the
## supergraph and sdk/ticketflow_sdk/graphql/*.graphql; after `make schema` or an edit there.
sdk: install
	$(BIN)/python sdk/codegen/generate.py

sdk-check: install
	$(BIN)/python sdk/codegen/generate.py --check

schema-check: install
	$(BIN)/ticketflow export-schema --check
	$(NODE) router/compose.mjs supergraph.yaml schema/supergraph.graphql --check

## The trusted documents (schema/trusted-documents.json): every document the SDK, the router's
## IDE examples and the web app (web/src) ship, by SHA-256; the router runs only these with TICKETFLOW_TRUSTED_DOCUMENTS=true.
trusted-documents: install
	$(BIN)/python scripts/trusted_documents.py

trusted-documents-check: install
	$(BIN)/python scripts/trusted_documents.py --check

services:
	@scripts/services.sh

## Every test: unit, integration (both modes), end-to-end (both modes).
test: install services browser web
	$(PYTEST) -n 2 --dist loadgroup

## The inner loop: every level in embedded mode only (SQLite, in-process bus; no servers).
test-fast: install
	TICKETFLOW_TEST_MODES=embedded $(PYTEST)

test-unit: install
	$(PYTEST) tests/unit

test-integration: install services
	$(PYTEST) tests/integration

test-e2e: install services
	$(PYTEST) tests/e2e

## Fuzz the whole graph through the router (tests/e2e/test_fuzz_graph.py) far longer than
## `make test` does, with a random seed it prints; TICKETFLOW_FUZZ_SEED=<seed> repeats a run,
## TICKETFLOW_FUZZ_EXAMPLES sets the examples per caller and mode (default 1000).
fuzz: install services
	@seed=$${TICKETFLOW_FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	examples=$${TICKETFLOW_FUZZ_EXAMPLES:-1000}; \
	echo "make fuzz: TICKETFLOW_FUZZ_SEED=$$seed TICKETFLOW_FUZZ_EXAMPLES=$$examples"; \
	TICKETFLOW_FUZZ_SEED=$$seed TICKETFLOW_FUZZ_EXAMPLES=$$examples \
	  $(PYTEST) -n 2 --dist loadgroup --timeout 0 tests/e2e/test_fuzz_graph.py; \
	status=$$?; echo "make fuzz: TICKETFLOW_FUZZ_SEED=$$seed repeats this run"; exit $$status

lint: install
	$(PYTEST) tests/lint

clean:
	rm -rf var $(VENV) $(CODEGEN) router/node_modules web/dist web/node_modules
