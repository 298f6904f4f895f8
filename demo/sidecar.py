"""`make demo`: a synthetic service and slo-exporter scraping it directly; no Prometheus.

Starts ``demo/service.py`` (a steady 50 requests/s with a realistic
``/metrics``) and ``slo-exporter run`` with ``demo/sidecar.yaml`` (``source:
scrape``) and a fresh history store in ``.demo/sidecar-history``, prints the
URLs, then every 5 s a line per SLO read from the exporter's ``/metrics``:
status, budget left, burn rates, firing alerts. 20 s after the start the
service has an incident for 60 s (30 % errors, 20x slower): both SLOs page;
inject more with the ``curl`` printed. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ports import EXIT_LISTEN, Port, check

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "demo" / "sidecar.yaml"
WORKDIR = ROOT / ".demo"
SERVICE_URL = "http://127.0.0.1:8080/metrics"
REFRESH_SECONDS = 5.0
WINDOWS = ("1m", "5m", "15m")
"""The burn-rate windows shown: the page alert needs 1m and 5m, the ticket 5m and 15m."""
HEADER_EVERY = 12
"""Lines of SLOs between two repetitions of the column header."""


def _get(url: str, timeout: float = 2.0) -> str | None:
    """The body of a 200 answer, or None."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body: bytes = response.read()
            return body.decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None


def _wait(
    url: str, process: subprocess.Popen[bytes], seconds: float, what: str, port: Port
) -> bool:
    """Wait until ``url`` answers 200; False if ``process`` exits or time runs out first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"demo: {what} exited with code {process.returncode}", file=sys.stderr)
            if process.returncode == EXIT_LISTEN:  # the port was taken after all
                print(f"demo: {port.hint('demo', 'demo/sidecar.py')}", file=sys.stderr)
            return False
        if _get(url) is not None:
            return True
        time.sleep(0.2)
    print(f"demo: {what} did not answer on {url} within {seconds:g} s", file=sys.stderr)
    return False


def _status_lines(metrics: str, incident: bool) -> list[str]:
    """One line per SLO from the exporter's /metrics text."""
    status: dict[str, str] = {}
    remaining: dict[str, float] = {}
    burn: dict[tuple[str, str], float] = {}
    firing: dict[str, list[str]] = {}
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            slo = sample.labels.get("slo")
            if slo is None:
                continue
            if sample.name == "slo_status" and sample.value == 1:
                status[slo] = sample.labels["status"]
            elif sample.name == "slo_error_budget_remaining_ratio":
                remaining[slo] = sample.value
            elif sample.name == "slo_burn_rate":
                burn[slo, sample.labels["window"]] = sample.value
            elif sample.name == "slo_alert_condition" and sample.value == 1:
                firing.setdefault(slo, []).append(sample.labels["severity"])
    stamp = time.strftime("%H:%M:%S")
    flag = "  INCIDENT" if incident else ""
    lines = []
    for slo in sorted(status):
        rates = " ".join(
            f"{burn[slo, w]:8.1f}" if (slo, w) in burn else f"{'n/a':>8}" for w in WINDOWS
        )
        left = f"{remaining[slo]:8.1%}" if slo in remaining else "     n/a"
        alerts = ",".join(sorted(set(firing.get(slo, [])))) or "-"
        lines.append(f"{stamp}  {slo:<18} {status[slo]:<10} {left}   {rates}   {alerts:<11}{flag}")
    return lines


HEADER = (
    f"{'time':<8}  {'SLO':<18} {'status':<10} {'budget':>8}   "
    + " ".join(f"{'burn ' + w:>8}" for w in WINDOWS)
    + "   alerts"
)


def _config(service_url: str) -> Path:
    """demo/sidecar.yaml, or a copy scraping the service at another port."""
    if service_url == SERVICE_URL.removesuffix("/metrics"):
        return CONFIG
    config = WORKDIR / "sidecar.yaml"
    config.write_text(CONFIG.read_text().replace(SERVICE_URL, f"{service_url}/metrics"))
    return config


def _explain(
    service_url: str, exporter_url: str, config: Path, history: Path, incident_after: float
) -> None:
    print(
        f"""
Demo service (50 requests/s):  {service_url}/metrics
slo-exporter metrics:          {exporter_url}/metrics
Config:                        {config}
History store:                 {history}
An incident starts {incident_after:g} s after the start (30 % errors, 20x slower, 60 s).

How to read the lines below:
  budget  the share of the error budget left over the SLO's 1 h period. The exporter's
          history starts with this demo, so the period so far is only these minutes:
          a minute at 30 % errors spends 30x what a 99 % objective allows in it, and
          the budget left heads for -2,900 %. In a real deployment the period is full
          and the same minute costs under 1 % of an hour's budget.
  burn    how many times faster than sustainable the budget burns, per window. While
          the history is shorter than a window, the windows show the same; after the
          incident the 1m burn falls first, 5m and 15m later. An alert needs both of
          its windows above its threshold (page: 1m and 5m above 14.4; ticket: 5m and
          15m above 6), so the page stops soon after the incident, the ticket later.
  alerts  the alert conditions that hold now (what the generated rules would fire).
Another one:  curl -X POST '{service_url}/incident?error_rate=0.3&seconds=60'
End it:       curl -X DELETE {service_url}/incident
Restart it:   curl -X POST {service_url}/restart     (its counters reset)
Ctrl-C stops both.
""",
        flush=True,
    )


def _watch(
    exporter: subprocess.Popen[bytes],
    service: subprocess.Popen[bytes],
    exporter_url: str,
    service_url: str,
) -> None:
    """A line per SLO every few seconds, with the column header now and then."""
    printed = 0
    while exporter.poll() is None and service.poll() is None:
        metrics = _get(f"{exporter_url}/metrics")
        page = _get(f"{service_url}/") or ""
        if metrics is not None:
            for line in _status_lines(metrics, "incident is running" in page):
                if printed % HEADER_EVERY == 0:
                    print(HEADER, flush=True)
                print(line, flush=True)
                printed += 1
        time.sleep(REFRESH_SECONDS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-port", type=int, default=8080)
    parser.add_argument("--exporter-port", type=int, default=9099)
    parser.add_argument("--incident-after", type=float, default=20.0, metavar="SECONDS")
    args = parser.parse_args()
    service_port = Port(
        args.service_port, "the demo service", "DEMO_SERVICE_PORT", "--service-port"
    )
    exporter_port = Port(
        args.exporter_port, "slo-exporter", "DEMO_EXPORTER_PORT", "--exporter-port"
    )
    if not check([service_port, exporter_port], "demo", "demo/sidecar.py"):
        return 1
    service_url = f"http://127.0.0.1:{args.service_port}"
    exporter_url = f"http://127.0.0.1:{args.exporter_port}"
    WORKDIR.mkdir(exist_ok=True)
    history = WORKDIR / "sidecar-history"  # the exporter's history store, fresh for each demo
    shutil.rmtree(history, ignore_errors=True)
    config = _config(service_url)

    service = subprocess.Popen(
        [sys.executable, str(ROOT / "demo" / "service.py"), "--port", str(args.service_port),
         "--incident-after", f"{args.incident_after:g}"],
    )  # fmt: skip
    exporter: subprocess.Popen[bytes] | None = None
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if not _wait(f"{service_url}/metrics", service, 10, "the demo service", service_port):
            return 1
        exporter = subprocess.Popen(
            [sys.executable, "-m", "exporter", "--log-format", "console", "--log-level",
             "warning", "run", "-c", str(config), "--data-dir", str(history),
             "--listen", f"127.0.0.1:{args.exporter_port}"],
            cwd=ROOT,
        )  # fmt: skip
        if not _wait(f"{exporter_url}/readyz", exporter, 30, "slo-exporter", exporter_port):
            return 1
        _explain(service_url, exporter_url, config, history, args.incident_after)
        _watch(exporter, service, exporter_url, service_url)
        print("demo: a process exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (exporter, service):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
