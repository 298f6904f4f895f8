"""Scrape a /metrics URL in a loop from a separate process; print the latencies as JSON.

    python scrape_loop.py http://127.0.0.1:PORT/metrics --count 200 --seconds 60 [--gzip]

One keep-alive connection, one scrape after the other (as one Prometheus would scrape,
only back to back), each timed from the request to the last byte of the body. Stops after
``--count`` scrapes or ``--seconds``, whichever comes first.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
import urllib.parse


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    headers = {"Accept-Encoding": "gzip" if args.gzip else "identity"}
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    latencies: list[float] = []
    sizes: list[int] = []
    errors = 0
    deadline = time.monotonic() + args.seconds
    while len(latencies) < args.count and time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            conn.request("GET", url.path or "/", headers=headers)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            continue
        latencies.append(time.perf_counter() - started)
        sizes.append(len(body))
        if response.status != 200:
            errors += 1
    json.dump({"latencies": latencies, "bytes": sizes, "errors": errors}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
