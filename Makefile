# One entry point for people and CI: `make demo` shows it working, `make test` proves it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LINTED := $(wildcard exporter tests benchmarks demo)

.PHONY: test lint typecheck unit pytest-all demo demo-prometheus prometheus backends venv clean

venv: $(BIN)/slo-exporter

$(BIN)/slo-exporter: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Prometheus and promtool from Debian: the demo runs on the real thing.
prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus; }

# Every real backend the integration tests run against, from Debian: Prometheus (with
# promtool, which backfills it) and VictoriaMetrics (single node, `victoria-metrics`).
# Installed or not, each must then be on PATH: a missing one stops `make test` here, by
# name, rather than a minute into the tests.
BACKEND_BINARIES := prometheus promtool victoria-metrics
backends:
	@missing=; for bin in $(BACKEND_BINARIES); do command -v $$bin >/dev/null || missing=1; done; \
	[ -z "$$missing" ] || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    prometheus victoria-metrics; }
	@for bin in $(BACKEND_BINARIES); do command -v $$bin >/dev/null || { \
	  echo "make: '$$bin' is not on PATH; the integration tests need it" >&2; exit 1; }; done

lint: venv
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: venv
	$(BIN)/mypy exporter

# Seconds: lint, then only the in-process tests (no backend, no child process; the
# `integration` marker is explained in tests/conftest.py).
unit: lint
	$(BIN)/pytest -m "not integration"

# Every test, the integration tests against real backends included (a few minutes).
pytest-all: venv
	$(BIN)/pytest

# The README's test command; .ci/run calls exactly this.
test: backends venv lint typecheck pytest-all

# The demos' ports on 127.0.0.1; when one is taken, the demo says which to set, e.g.
# `make demo DEMO_SERVICE_PORT=8081`.
DEMO_SERVICE_PORT    ?= 8080
DEMO_EXPORTER_PORT   ?= 9099
DEMO_PROMETHEUS_PORT ?= 9090

# A synthetic service and the exporter scraping it: nothing but Python needed.
demo: venv
	$(BIN)/python demo/sidecar.py --service-port $(DEMO_SERVICE_PORT) --exporter-port $(DEMO_EXPORTER_PORT)

# A real Prometheus backfilled with a synthetic month, and the exporter querying it.
demo-prometheus: prometheus venv
	$(BIN)/python demo/run.py --prometheus-port $(DEMO_PROMETHEUS_PORT) --exporter-port $(DEMO_EXPORTER_PORT)

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
