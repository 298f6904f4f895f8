# One entry point for people and CI: `make demo` shows it working, `make test` proves it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LINTED := $(wildcard exporter tests benchmarks demo)

.PHONY: test lint typecheck unit pytest-all demo demo-prometheus prometheus backends browser venv clean

venv: $(BIN)/slo-exporter

$(BIN)/slo-exporter: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The real backends the integration tests, the demo and the benchmark run against:
# Prometheus (with promtool, which backfills it), VictoriaMetrics (single node) and
# Alertmanager's amtool (which checks the inhibit rules `rules` writes), from
# Debian's packages, unpacked into .cache/backends with `apt-get download` + `dpkg -x`.
# Nothing is installed system-wide and no service is started; root (or sudo) is needed
# only when the machine has no package lists yet (`apt-get update`). Every target that
# runs them puts .cache/backends/usr/bin first on PATH. A binary still missing stops
# `make test` here, by name, rather than a minute into the tests.
BACKEND_PACKAGES := prometheus victoria-metrics prometheus-alertmanager
BACKEND_BINARIES := prometheus promtool victoria-metrics amtool
BACKENDS_DIR     := $(CURDIR)/.cache/backends
BACKEND_PATH     := $(BACKENDS_DIR)/usr/bin
WITH_BACKENDS    := PATH="$(BACKEND_PATH):$$PATH"

# The stamp names the packages, so adding one unpacks again on machines that have the rest.
BACKENDS_STAMP   := $(BACKENDS_DIR)/.unpacked-$(subst $() ,+,$(BACKEND_PACKAGES))

backends: $(BACKENDS_STAMP)

$(BACKENDS_STAMP):
	@mkdir -p .cache/debs $(BACKENDS_DIR)
	@cd .cache/debs && { apt-get download $(BACKEND_PACKAGES) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && apt-get download $(BACKEND_PACKAGES); }; }
	@for deb in .cache/debs/*.deb; do dpkg -x "$$deb" $(BACKENDS_DIR); done
	@for bin in $(BACKEND_BINARIES); do test -x $(BACKEND_PATH)/$$bin || { \
	  echo "make: $$bin is not in the Debian packages unpacked into $(BACKENDS_DIR)" >&2; \
	  exit 1; }; done
	@touch $@
	@echo "backends: $$(cd .cache/debs && ls *.deb | tr '\n' ' ')unpacked into $(BACKENDS_DIR)"

# Headless Chromium and its chromedriver, from Debian, for the report's HTML test
# (tests/test_report_html.py). Unlike the backends they need their shared libraries, so
# they are installed with apt-get (root or sudo) when either command is missing; a
# machine that has them is left alone. A failed install stops `make test` here, by name.
BROWSER_PACKAGES := chromium chromium-driver

browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $(BROWSER_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $(BROWSER_PACKAGES); }; }
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "make: chromium and chromedriver are missing after installing $(BROWSER_PACKAGES)" >&2; \
	  exit 1; }

# The demo and the benchmark need only Prometheus; the same unpacked copy serves them.
prometheus: backends

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
pytest-all: venv backends browser
	$(WITH_BACKENDS) $(BIN)/pytest

# The README's test command; .ci/run calls exactly this.
test: backends browser venv lint typecheck pytest-all

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
	$(WITH_BACKENDS) $(BIN)/python demo/run.py --prometheus-port $(DEMO_PROMETHEUS_PORT) --exporter-port $(DEMO_EXPORTER_PORT)

clean:
	rm -rf $(VENV) .demo .cache .pytest_cache .mypy_cache .ruff_cache
