"""The version is written once (``exporter.__version__``) and shown the same everywhere."""

from __future__ import annotations

import importlib.metadata

import pytest
from metrics_text import one, parse
from prometheus_client import generate_latest

from exporter.cli import main
from exporter.selfmetrics import SelfMetrics

INSTALLED = importlib.metadata.version("slo-exporter")


def test_version_flag_prints_the_installed_version(capsys: pytest.CaptureFixture[str]):
    """`slo-exporter --version` prints the version pip reports for the installed package,
    so a user comparing the two never sees a stale number."""
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="slo-exporter")
    assert script.value == "exporter.cli:main"
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"slo-exporter {INSTALLED}\n"


def test_build_info_carries_the_installed_version():
    """`slo_exporter_build_info{version=...}` on /metrics names the installed version, so
    dashboards and alerts can tell which release a replica runs."""
    samples = parse(generate_latest(SelfMetrics().registry).decode())
    assert one(samples, "slo_exporter_build_info", version=INSTALLED) == 1
