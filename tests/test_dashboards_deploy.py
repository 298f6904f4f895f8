"""The Grafana provisioning files and the docker-compose example fit together.

There is no Docker engine or Grafana here, so this checks what can be checked
without them: the files parse, every mounted path exists, paths and names agree
between compose, provisioning, Prometheus and the exporter's config, Prometheus
accepts its config (``promtool check config``) and the exporter accepts its.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from prometheus_server import find_binary

from exporter.config.loader import load_config

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DASHBOARD_PROVIDER = ROOT / "grafana/provisioning/dashboards/slo-exporter.yaml"
DATASOURCES = ROOT / "grafana/provisioning/datasources/prometheus.yaml"
PROMETHEUS_CONFIG = ROOT / "deploy/prometheus.yml"
EXPORTER_CONFIG = ROOT / "deploy/slos.yaml"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _mounts(service: str) -> dict[Path, str]:
    """Bind mounts of a compose service: repository path -> path in the container."""
    mounts = {}
    for volume in _yaml(COMPOSE)["services"][service].get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("."):
            mounts[(ROOT / source).resolve()] = target
    return mounts


@pytest.mark.parametrize("service", ["prometheus", "slo-exporter", "grafana"])
def test_compose_mounts_exist(service: str):
    """Every file or folder compose mounts into a container is in the repository."""
    mounts = _mounts(service)
    assert mounts
    for source in mounts:
        assert source.exists(), f"{service} mounts {source}, which does not exist"


def test_compose_builds_the_exporter_from_the_repository():
    """The exporter is built from the repository's Dockerfile and its config is mounted where
    the image's default command reads it."""
    exporter = _yaml(COMPOSE)["services"]["slo-exporter"]
    assert (ROOT / exporter["build"] / "Dockerfile").is_file()
    dockerfile = (ROOT / "Dockerfile").read_text()
    (config_path,) = re.findall(r'^CMD \["run", "-c", "([^"]+)"', dockerfile, re.MULTILINE)
    assert _mounts("slo-exporter") == {EXPORTER_CONFIG: config_path}


def test_grafana_loads_the_committed_dashboards():
    """Grafana gets the provisioning folders where it reads them and the committed dashboards
    where the provider looks; the home dashboard is the committed overview."""
    grafana = _yaml(COMPOSE)["services"]["grafana"]
    mounts = _mounts("grafana")
    assert mounts[DASHBOARD_PROVIDER.parent] == "/etc/grafana/provisioning/dashboards"
    assert mounts[DATASOURCES.parent] == "/etc/grafana/provisioning/datasources"
    (provider,) = _yaml(DASHBOARD_PROVIDER)["providers"]
    assert provider["type"] == "file"
    dashboards = mounts[ROOT / "grafana/dashboards"]
    assert provider["options"]["path"] == dashboards
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{dashboards}/slo-overview.json"
    assert (ROOT / "grafana/dashboards/slo-overview.json").is_file()


def test_datasource_is_the_compose_prometheus():
    """The provisioned data source is the compose Prometheus, default for the dashboards'
    data source variable, with Prometheus' scrape interval (for $__rate_interval)."""
    (source,) = _yaml(DATASOURCES)["datasources"]
    url = urlsplit(source["url"])
    assert source["type"] == "prometheus"
    assert source["isDefault"] is True
    assert url.hostname in _yaml(COMPOSE)["services"]
    assert f"{url.port}:{url.port}" in _yaml(COMPOSE)["services"][url.hostname]["ports"]
    scrape_interval = _yaml(PROMETHEUS_CONFIG)["global"]["scrape_interval"]
    assert source["jsonData"]["timeInterval"] == scrape_interval


@pytest.mark.integration  # runs a child process
def test_prometheus_config_is_valid_and_scrapes_the_exporter():
    """`promtool check config` accepts the example Prometheus config, which scrapes the
    exporter's compose service on the port the image exposes."""
    promtool = find_binary("promtool", "PROMTOOL_BIN")
    result = subprocess.run(
        [promtool, "check", "config", str(PROMETHEUS_CONFIG)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = {job["job_name"]: job for job in _yaml(PROMETHEUS_CONFIG)["scrape_configs"]}
    (port,) = re.findall(r"^EXPOSE (\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert jobs["slo-exporter"]["static_configs"][0]["targets"] == [f"slo-exporter:{port}"]


def test_exporter_config_is_valid_and_reads_the_compose_prometheus():
    """The example SLO config loads without problems and queries the compose Prometheus."""
    settings = load_config(EXPORTER_CONFIG)
    assert settings.slos
    assert urlsplit(settings.backend.url).hostname == "prometheus"
    assert any("team" not in slo.labels for slo in settings.slos), "shows SLOs without a team"
