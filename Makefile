# One entry point for people and CI: `make demo` shows it working, `make test` proves it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LINTED := $(wildcard exporter tests benchmarks demo)

.PHONY: test lint typecheck unit demo prometheus venv clean

venv: $(BIN)/slo-exporter

$(BIN)/slo-exporter: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Prometheus and promtool from Debian: the integration tests run against the real thing.
prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus; }

lint: venv
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: venv
	$(BIN)/mypy exporter

unit: venv
	$(BIN)/pytest

# The README's test command; .ci/run calls exactly this.
test: prometheus venv lint typecheck unit

demo: prometheus venv
	$(BIN)/python demo/run.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
