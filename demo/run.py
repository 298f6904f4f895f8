"""`make demo`: a real Prometheus with a synthetic month of traffic, and the exporter on it.

It backfills 30 days of checkout/search/quiet traffic (with an outage two days
ago, a slow burn yesterday and a fast burn happening right now) into a local
Prometheus, starts ``slo-exporter run`` against it, prints the URLs and the
``eval`` table, and keeps both running until Ctrl-C.

The generator and the Prometheus starter are the ones the integration tests
use (``tests/history.py``, ``tests/prometheus_server.py``), so the demo shows
exactly the data the tests check against ground truth.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "demo"))

from ports import Port, check  # noqa: E402
from prometheus_server import PrometheusSetupError, start_prometheus_server  # noqa: E402

WORKDIR = ROOT / ".demo"
CONFIG = ROOT / "config" / "demo.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus-port", type=int, default=9090)
    parser.add_argument("--exporter-port", type=int, default=9099)
    args = parser.parse_args()
    ports = [
        Port(args.prometheus_port, "Prometheus", "DEMO_PROMETHEUS_PORT", "--prometheus-port"),
        Port(args.exporter_port, "slo-exporter", "DEMO_EXPORTER_PORT", "--exporter-port"),
    ]
    if not check(ports, "demo-prometheus", "demo/run.py"):
        return 1
    return _run(args.prometheus_port, args.exporter_port)


def _run(prometheus_port: int, exporter_port: int) -> int:
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    print("Backfilling 30 days of synthetic traffic into a local Prometheus ...", flush=True)
    try:
        prometheus = start_prometheus_server(
            WORKDIR / "prometheus", span=30 * 86400, port=prometheus_port
        )
    except PrometheusSetupError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    config = WORKDIR / "slos.yaml"
    config.write_text(CONFIG.read_text().replace("http://127.0.0.1:9090", prometheus.url))
    exporter_bin = Path(sys.executable).with_name("slo-exporter")
    exporter = subprocess.Popen(
        [str(exporter_bin), "--log-format", "console", "run", "-c", str(config),
         "--data-dir", str(WORKDIR / "history"), "--listen", f"127.0.0.1:{exporter_port}"],
    )  # fmt: skip
    try:
        subprocess.run(
            [str(exporter_bin), "eval", "-c", str(config), "--format", "table"], check=False
        )
        print(
            f"""
Prometheus (synthetic month):  {prometheus.url}/graph
slo-exporter metrics:          http://127.0.0.1:{exporter_port}/metrics
Readiness:                     http://127.0.0.1:{exporter_port}/readyz
Try: {exporter_bin} eval -c {config} --format json
     {exporter_bin} eval -c {config} --at "$(date -u -d '2 days ago' +%FT%TZ)"
The synthetic data runs until {time.strftime("%H:%M UTC", time.gmtime(prometheus.history.end))}.
Ctrl-C stops both.""",
            flush=True,
        )
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        while exporter.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        exporter.terminate()
        exporter.wait(timeout=10)
        prometheus.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
