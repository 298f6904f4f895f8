"""A running exporter scraped by a second, empty Prometheus, as a Grafana data source sees it.

The exporter runs as users run it (``python -m exporter run``) on a config the test
writes; the scraper scrapes it every second. The dashboard tests send their
queries to the scraper the way Grafana sends them.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen
from typing import Any

import pytest
from dashboard_queries import SCRAPE_INTERVAL
from processes import free_port, spawn, stop_process
from prometheus_server import api_request, find_binary

SCRAPES = 3
"""Scrapes to wait for: rate() over $__rate_interval (4 scrape intervals) needs two."""
STARTUP_TIMEOUT = 60.0
"""Bound on waiting for the exporter, the scraper and the scrapes (not a speed assertion)."""
LAST_MINUTE = 60

SCRAPER_CONFIG = """\
global:
  scrape_interval: {interval}s
  scrape_timeout: {interval}s
scrape_configs:
  - job_name: slo-exporter
    static_configs: [{{targets: ["{target}"]}}]
"""


@dataclass
class Live:
    """The scraping Prometheus (``url``), and the processes of the scraper and the exporter."""

    url: str
    exporter_log: Path
    scraper_log: Path
    processes: list[Popen[bytes]] = field(default_factory=list)

    def logs(self) -> str:
        """The tail of both processes' output, for failure messages."""
        return (
            f"exporter:\n{self.exporter_log.read_text(errors='replace')[-3000:]}\n"
            f"scraper:\n{self.scraper_log.read_text(errors='replace')[-3000:]}"
        )

    def wait(self, what: str, check: Callable[[], object]) -> None:
        """Poll ``check`` until it is truthy; fail early if a process died (bounded wait)."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                pytest.fail(f"a process exited while waiting for {what}\n{self.logs()}")
            if check():
                return
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what}\n{self.logs()}", pytrace=False)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def scraped_exporter(config_text: str, workdir: Path, busy_slo: str) -> Iterator[Live]:
    """The exporter on ``config_text``, scraped every second by an empty Prometheus, once
    ``busy_slo``'s series have been scraped :data:`SCRAPES` times."""
    config = workdir / "slos.yaml"
    config.write_text(config_text)
    exporter_port, scraper_port = free_port(), free_port()
    scraper_config = workdir / "prometheus.yml"
    scraper_config.write_text(
        SCRAPER_CONFIG.format(interval=SCRAPE_INTERVAL, target=f"127.0.0.1:{exporter_port}")
    )
    live = Live(
        url=f"http://127.0.0.1:{scraper_port}",
        exporter_log=workdir / "exporter.log",
        scraper_log=workdir / "scraper.log",
    )
    try:
        exporter = [sys.executable, "-m", "exporter", "--log-format", "json", "run",
                    "-c", str(config), "--no-store",
                    "--listen", f"127.0.0.1:{exporter_port}"]  # fmt: skip
        scraper = [find_binary("prometheus", "PROMETHEUS_BIN"), f"--config.file={scraper_config}",
                   f"--storage.tsdb.path={workdir / 'data'}",
                   f"--web.listen-address=127.0.0.1:{scraper_port}"]  # fmt: skip
        live.processes.append(spawn(exporter, live.exporter_log))
        live.processes.append(spawn(scraper, live.scraper_log))
        live.wait("the scraper", lambda: _answers(live.url + "/-/ready"))
        live.wait("the exporter", lambda: _answers(f"http://127.0.0.1:{exporter_port}/readyz"))
        scrapes = f'count_over_time(slo_data_ok{{slo="{busy_slo}"}}[1m]) >= {SCRAPES}'
        live.wait(f"{SCRAPES} scrapes", lambda: instant(live.url, scrapes))
        yield live
    finally:
        for process in reversed(live.processes):
            stop_process(process)


def instant(url: str, expr: str, at: float | None = None) -> list[dict[str, Any]]:
    """An instant query's result (at ``at``, default now)."""
    params = {"query": expr} if at is None else {"query": expr, "time": str(at)}
    result: list[dict[str, Any]] = api_request(url, "/api/v1/query", params)["result"]
    return result


def over_last_minute(url: str, expr: str) -> list[dict[str, Any]]:
    """A range query's result over the last minute, a step per scrape."""
    now = time.time()
    params = {
        "query": expr,
        "start": str(now - LAST_MINUTE),
        "end": str(now),
        "step": str(SCRAPE_INTERVAL),
    }
    result: list[dict[str, Any]] = api_request(url, "/api/v1/query_range", params)["result"]
    return result
