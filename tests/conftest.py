"""Shared pytest fixtures for the slo-exporter test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_server import PrometheusServer, PrometheusSetupError, start_prometheus_server

# The in-process fake PromQL backend (fault injection only) provides ``fake_backend``.
pytest_plugins = ["fake_backend"]

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
