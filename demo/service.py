"""A small synthetic HTTP service with a realistic ``/metrics``, for the sidecar demo.

It does no real work: a background task "serves" a steady stream of
requests (``--rate`` per second) and records them the way an instrumented
service would, with prometheus-client:

* ``http_requests_total{code}`` — requests by status code (``200``, a few
  ``404``, and ``500``/``503`` at ``--error-rate``, 0.1 % by default), every
  code exposed at 0 from the start;
* ``http_request_duration_seconds`` — a classic histogram of latencies
  (log-normal, median 50 ms, 0.4 % over 250 ms; buckets 0.05 … 2.5 s).

An incident raises the error rate and slows requests down for a while::

    curl -X POST 'http://127.0.0.1:8080/incident?error_rate=0.3&seconds=60&slow=20'
    curl -X DELETE http://127.0.0.1:8080/incident        # end it now
    curl -X POST http://127.0.0.1:8080/restart           # counters start again from 0

``--incident-after 20`` starts one by itself 20 s after startup. ``/metrics``
answers in OpenMetrics when asked for it (as slo-exporter does), in the
Prometheus text format otherwise.

Run it: ``python demo/service.py --port 8080 --incident-after 20``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
MEDIAN_SECONDS = 0.05
SIGMA = 0.6
NOT_FOUND_RATE = 0.01
CODES = ("200", "404", "500", "503")
MAX_INCIDENT_SECONDS = 3600.0


class DemoService:
    """The simulated service: its metrics, its traffic and its incidents.

    ``rate`` requests per second are served by :meth:`run_traffic`; tests
    use ``rate=0`` and call :meth:`serve` for exact, deterministic counts.
    ``clock`` is monotonic seconds (incident timing).
    """

    def __init__(
        self,
        *,
        rate: float = 50.0,
        error_rate: float = 0.001,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.error_rate = error_rate
        self._rng = random.Random(seed)
        self._clock = clock
        self._carry = 0.0
        self.incident_error_rate = 0.0
        self.incident_slow = 1.0
        self.incident_until = -math.inf
        self.restarts = 0
        self._new_registry()

    def _new_registry(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests", "Requests served, by status code.", ["code"], registry=self.registry
        )
        for code in CODES:  # exposed at 0 from the start, as instrumentation guides advise
            self.requests.labels(code=code)
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to serve a request.",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.incident_gauge = Gauge(
            "demo_incident_active", "1 while a simulated incident runs.", registry=self.registry
        )

    # ---- traffic -----------------------------------------------------------------

    @property
    def incident_active(self) -> bool:
        """Whether an incident is running now."""
        return self._clock() < self.incident_until

    def serve(self, count: int) -> None:
        """Serve ``count`` requests now, under the current error rate and latency."""
        incident = self.incident_active
        error_rate = self.incident_error_rate if incident else self.error_rate
        slow = self.incident_slow if incident else 1.0
        mu = math.log(MEDIAN_SECONDS * slow)
        for _ in range(count):
            draw = self._rng.random()
            if draw < error_rate:
                code = "503" if draw < error_rate / 4 else "500"
            elif draw < error_rate + NOT_FOUND_RATE:
                code = "404"
            else:
                code = "200"
            self.requests.labels(code=code).inc()
            self.duration.observe(self._rng.lognormvariate(mu, SIGMA))
        self.incident_gauge.set(1 if incident else 0)

    def advance(self, seconds: float) -> None:
        """Serve the requests ``seconds`` of traffic at ``rate`` bring (fractions carried over)."""
        self._carry += self.rate * seconds
        count = int(self._carry)
        self._carry -= count
        self.serve(count)

    async def run_traffic(self, tick: float = 0.1) -> None:
        """Serve traffic at ``rate`` until cancelled."""
        last = self._clock()
        while True:
            await asyncio.sleep(tick)
            now = self._clock()
            self.advance(now - last)
            last = now

    def start_incident(self, error_rate: float, seconds: float, slow: float = 20.0) -> None:
        """From now on, for ``seconds``: ``error_rate`` of requests fail, all ``slow`` x slower."""
        self.incident_error_rate = error_rate
        self.incident_slow = slow
        self.incident_until = self._clock() + seconds

    def end_incident(self) -> None:
        """Back to normal now."""
        self.incident_until = -math.inf

    def restart(self) -> None:
        """Simulate a process restart: every counter starts again from 0."""
        self.restarts += 1
        self._new_registry()

    # ---- HTTP --------------------------------------------------------------------

    def app(self, *, traffic: bool = True, incident_after: float | None = None) -> web.Application:
        """The aiohttp app; with ``traffic`` it serves requests in the background while it runs."""
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_post("/incident", self._incident)
        app.router.add_delete("/incident", self._end_incident)
        app.router.add_post("/restart", self._restart)

        async def background(app: web.Application) -> AsyncIterator[None]:
            tasks = []
            if traffic:
                tasks.append(asyncio.create_task(self.run_traffic()))
            if incident_after is not None:
                tasks.append(asyncio.create_task(self._incident_later(incident_after)))
            yield
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        app.cleanup_ctx.append(background)
        return app

    async def _incident_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.start_incident(error_rate=0.3, seconds=60, slow=20.0)
        print("demo service: incident started (30 % errors, 20x slower, for 60 s)", flush=True)

    async def _index(self, request: web.Request) -> web.Response:
        state = "an incident is running" if self.incident_active else "all is well"
        return web.Response(
            text=f"demo service: {state}.\n{__doc__}", content_type="text/plain", charset="utf-8"
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        self.incident_gauge.set(1 if self.incident_active else 0)
        return web.Response(body=encoder(self.registry), headers={"Content-Type": content_type})

    async def _incident(self, request: web.Request) -> web.Response:
        try:
            error_rate = _number(request, "error_rate", 0.3, 0.0, 1.0)
            seconds = _number(request, "seconds", 60.0, 0.0, MAX_INCIDENT_SECONDS)
            slow = _number(request, "slow", 20.0, 0.01, 100.0)
        except ValueError as err:
            return web.Response(status=400, text=f"{err}\n")
        if seconds <= 0:
            return web.Response(status=400, text="seconds must be above 0\n")
        self.start_incident(error_rate, seconds, slow)
        return web.Response(
            text=f"incident: {error_rate:.0%} errors, {slow:g}x slower, for {seconds:g} s\n"
        )

    async def _end_incident(self, request: web.Request) -> web.Response:
        self.end_incident()
        return web.Response(text="incident over\n")

    async def _restart(self, request: web.Request) -> web.Response:
        self.restart()
        return web.Response(text="restarted: counters start again from 0\n")


def _number(request: web.Request, name: str, default: float, low: float, high: float) -> float:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {text}")
    return value


def main() -> None:
    """Serve the demo service until interrupted."""
    parser = argparse.ArgumentParser(description="A synthetic service with a /metrics endpoint.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--error-rate", type=float, default=0.001, help="share of 5xx normally")
    parser.add_argument(
        "--incident-after", type=float, default=None, metavar="SECONDS",
        help="start a 60 s incident (30%% errors, 20x slower) this long after startup",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    service = DemoService(rate=args.rate, error_rate=args.error_rate, seed=args.seed)
    web.run_app(
        service.app(incident_after=args.incident_after),
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
