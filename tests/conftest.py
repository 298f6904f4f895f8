"""Shared pytest fixtures for the slo-exporter test suite.

Tests are *unit* tests (in-process, no child process, seconds for the lot) or
*integration* tests (``pytest.mark.integration``: a real backend, promtool, or the
exporter run as a process). ``pytest -m "not integration"`` runs the first kind only.
A test is marked integration automatically when it uses one of
``INTEGRATION_FIXTURES`` (directly or through another fixture); a test that starts a
process some other way carries the mark itself. An unmarked test that starts a
process fails, naming the mark, so the split cannot drift.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest
from history import History
from prometheus_server import PrometheusServer, PrometheusSetupError, start_prometheus_server
from victoria_server import VictoriaServer, VictoriaSetupError, start_victoria_server

# The in-process fake PromQL backend (fault injection only) provides ``fake_backend``.
pytest_plugins = ["fake_backend"]

# --------------------------------------------------------------------------- unit or integration

INTEGRATION_FIXTURES = frozenset({"prometheus", "victoria", "backend", "default_victoria"})
"""Fixtures that start a real backend process: ``prometheus``, ``victoria`` and ``backend``
(below), and ``default_victoria`` (a VictoriaMetrics with default flags,
test_victoria_semantics.py). Every fixture that needs one of them, such as
test_dashboards_live.py's ``live`` (the exporter and a second Prometheus as processes),
marks its tests through them."""


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses an ``INTEGRATION_FIXTURES`` fixture ``integration``."""
    for item in items:
        # ``fixturenames`` is the closure: the fixtures of the test's fixtures count too.
        if INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def _refuse_process(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError(
        f"this test starts a process ({args[1] if len(args) > 1 else kwargs.get('args')!r}) "
        "but is not marked integration: add @pytest.mark.integration (or use a fixture "
        "from INTEGRATION_FIXTURES in tests/conftest.py)"
    )


@pytest.fixture(autouse=True)
def _unit_tests_stay_in_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unmarked tests may not start processes (subprocess, asyncio and spawn helpers all
    go through ``subprocess.Popen``)."""
    if request.node.get_closest_marker("integration") is None:
        monkeypatch.setattr(subprocess.Popen, "__init__", _refuse_process)


@pytest.fixture(autouse=True)
def _default_store_per_test(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """``run`` keeps a store by default under $XDG_STATE_HOME: each test (and every
    process it starts) gets its own, so no test writes to the user's home or shares a
    store with another test's daemon."""
    monkeypatch.delenv("SLO_EXPORTER_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


# --------------------------------------------------------------------------- Prometheus


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """One real Prometheus for the whole session, backfilled with ``history.build_history``.

    ``prometheus.url`` is its base URL, ``prometheus.history`` the ground truth
    (``History.increase``), ``prometheus.now`` the history's ``now`` (a whole minute).
    Nothing is cached between sessions.  Fails (never skips) if Prometheus is unavailable.
    """
    error: str | None = None
    try:
        server = start_prometheus_server(tmp_path_factory.mktemp("prometheus"))
    except PrometheusSetupError as exc:
        error = str(exc)
    if error is not None:
        pytest.fail(f"cannot start the test Prometheus: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- VictoriaMetrics


@pytest.fixture(scope="session")
def victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaServer]:
    """One real single-node VictoriaMetrics for the whole session, holding the same kind of
    history as ``prometheus`` (its own ``build_history``, imported over HTTP).

    Same attributes as ``prometheus`` (``url``, ``history``, ``now``), plus ``kind``.
    Fails (never skips) if VictoriaMetrics is unavailable.
    """
    error: str | None = None
    try:
        server = start_victoria_server(tmp_path_factory.mktemp("victoria"))
    except VictoriaSetupError as exc:
        error = str(exc)
    if error is not None:
        pytest.fail(f"cannot start the test VictoriaMetrics: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- any backend

BACKENDS = ("prometheus", "victoria-metrics")
"""The real PromQL backends the backend-level integration tests run against."""


@dataclass(frozen=True)
class Backend:
    """A running backend serving the synthetic history: ``kind`` is one of ``BACKENDS``."""

    kind: str
    server: PrometheusServer | VictoriaServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def history(self) -> History:
        return self.server.history

    @property
    def now(self) -> int:
        return self.server.now

    def query(self, promql: str, time: float) -> dict[str, Any]:
        return self.server.query(promql, time=time)

    def query_value(self, promql: str, time: float) -> float | None:
        return self.server.query_value(promql, time=time)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each real backend in turn (``prometheus``, then ``victoria``), started on first use."""
    fixture = "prometheus" if request.param == "prometheus" else "victoria"
    return Backend(request.param, request.getfixturevalue(fixture))
