"""The scrape source reads a service's /metrics directly and answers snapshots from it.

The targets are real HTTP servers on 127.0.0.1: the demo service
(``demo/service.py``, its counters advanced deterministically) and a small
target whose answer each test picks (errors, hangs, garbage).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client import generate_latest
from structlog.testing import capture_logs

from exporter.errors import BackendError
from exporter.promql.selectors import MatchOp, parse_selector
from exporter.promql.sli_queries import INF_REGEX, le_regex
from exporter.samples import QueryTally, SeriesKey, Snapshot, Source
from exporter.settings import ScrapeSettings, ScrapeTarget
from exporter.sources.scrape import (
    ScrapeError,
    ScrapeHTTPError,
    ScrapeResponseError,
    ScrapeSelectorError,
    ScrapeSource,
    ScrapeTimeout,
    ScrapeUnavailable,
)
from exporter.store.deltas import counter_deltas

ROOT = Path(__file__).resolve().parent.parent
CODES = ("200", "404", "500", "503")
GOOD = 'http_requests_total{code!~"5.."}'
TOTAL = "http_requests_total"
HISTOGRAM = parse_selector("http_request_duration_seconds").with_name(
    "http_request_duration_seconds_bucket"
)
FAST = HISTOGRAM.with_matcher("le", MatchOp.REGEX, le_regex(0.25)).render()
ALL = HISTOGRAM.with_matcher("le", MatchOp.REGEX, INF_REGEX).render()


def load_demo() -> ModuleType:
    """``demo/service.py`` as a module (the demo folder is no package)."""
    name = "slo_demo_service"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "demo" / "service.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def key(name: str, **labels: str) -> SeriesKey:
    """A series' full label set."""
    return frozenset({("__name__", name), *labels.items()})


def target(url: str, *, interval: float = 15.0, timeout: float = 5.0) -> ScrapeTarget:
    """Settings for one target."""
    return ScrapeTarget(url=url, interval=interval, timeout=timeout)


def source(session: aiohttp.ClientSession, *targets: ScrapeTarget, **kwargs: Any) -> ScrapeSource:
    """A scrape source over ``targets``."""
    return ScrapeSource(ScrapeSettings(tuple(targets)), session, **kwargs)


class Service:
    """The demo service behind a real HTTP server, without background traffic."""

    def __init__(self, *, text_only: bool = False, error_rate: float = 0.02, seed: int = 1):
        self.service = load_demo().DemoService(rate=0, error_rate=error_rate, seed=seed)
        self.served = 0
        app = self.service.app(traffic=False)
        if text_only:  # a client library that only speaks the text format
            app = web.Application()
            app.router.add_get("/metrics", self._text)
        self.server = TestServer(app, host="127.0.0.1")

    async def _text(self, request: web.Request) -> web.Response:
        body = generate_latest(self.service.registry)
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})

    @property
    def url(self) -> str:
        """The /metrics URL."""
        return str(self.server.make_url("/metrics"))

    @property
    def instance(self) -> str:
        """host:port, as the instance label."""
        return f"127.0.0.1:{self.server.port}"

    def serve(self, count: int) -> None:
        """Serve ``count`` requests."""
        self.service.serve(count)
        self.served += count

    def value(self, name: str, **labels: str) -> float | None:
        """The service's own current value of a series."""
        value: float | None = self.service.registry.get_sample_value(name, labels)
        return value


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session, as the daemon owns one."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def demo() -> AsyncIterator[Service]:
    """The demo service on a free port, 1000 requests served."""
    service = Service()
    await service.server.start_server()
    service.serve(1000)
    yield service
    await service.server.close()


def expected(service: Service, extra: dict[str, str] | None = None) -> dict[str, dict]:
    """What a snapshot of the four SLI selectors must hold: the service's own counters."""
    labels = extra or {}
    requests = {
        code: service.value("http_requests_total", code=code)
        for code in CODES
        if service.value("http_requests_total", code=code) is not None
    }
    fast = service.value("http_request_duration_seconds_bucket", le="0.25")
    every = service.value("http_request_duration_seconds_bucket", le="+Inf")
    return {
        GOOD: {
            key("http_requests_total", code=c, **labels): v
            for c, v in requests.items()
            if not c.startswith("5")
        },
        TOTAL: {key("http_requests_total", code=c, **labels): v for c, v in requests.items()},
        FAST: {key("http_request_duration_seconds_bucket", le="0.25", **labels): fast},
        ALL: {key("http_request_duration_seconds_bucket", le="+Inf", **labels): every},
    }


@pytest.mark.parametrize("text_only", [False, True], ids=["openmetrics", "text"])
async def test_snapshot_holds_the_services_own_counters(session, text_only: bool):
    """Each selector maps every series it matches to the service's value, in both formats."""
    service = Service(text_only=text_only)
    await service.server.start_server()
    try:
        service.serve(2000)
        snapshot = await source(session, target(service.url)).snapshot([GOOD, TOTAL, FAST, ALL], 0)
    finally:
        await service.server.close()
    assert snapshot.values == expected(service)
    assert sum(snapshot.values[TOTAL].values()) == service.served == 2000
    assert {"500", "503"} <= {dict(k)["code"] for k in snapshot.values[TOTAL]}


async def test_scrape_source_is_a_source(session, demo: Service):
    """ScrapeSource satisfies the Source protocol the store reads from."""
    reader: Source = source(session, target(demo.url))
    assert isinstance(await reader.snapshot([TOTAL], 0), Snapshot)


@pytest.mark.parametrize(
    ("selector", "count"),
    [
        ("http_requests_created", 0),
        ("http_request_duration_seconds_created", 0),
        ('http_requests_total{code="418"}', 0),
        ("no_such_metric", 0),
        ('http_requests_total{code=~"5.."}', 2),
        ('http_request_duration_seconds_bucket{le!~"\\\\+Inf"}', 6),
        ("http_request_duration_seconds_count", 1),
        ("demo_incident_active", 1),
    ],
)
async def test_selectors_match_what_the_service_exposes(
    session, demo: Service, selector: str, count: int
):
    """A selector gets its series, _created series never, and nothing is an empty mapping."""
    snapshot = await source(session, target(demo.url)).snapshot([selector], 0)
    assert len(snapshot.values[selector]) == count


async def test_snapshot_time_is_the_scrape_start(session, demo: Service):
    """Snapshot.at is when the scrape started, not the evaluation time asked for."""
    times = iter([1000.0, 1015.0])
    reader = source(session, target(demo.url), clock=lambda: next(times))
    assert (await reader.snapshot([TOTAL], at=5.0)).at == 1000.0
    assert (await reader.snapshot([TOTAL], at=6.0)).at == 1015.0


async def test_a_restart_shows_as_a_drop_the_store_reads_as_a_reset(session, demo: Service):
    """After the service restarts the snapshot has its new, lower values; deltas count from 0."""
    reader = source(session, target(demo.url))
    selectors = ['http_requests_total{code="200"}', ALL]
    before = await reader.snapshot(selectors, 0)
    demo.serve(300)
    demo.service.restart()
    demo.serve(200)
    after = await reader.snapshot(selectors, 0)
    assert sum(after.values[ALL].values()) == 200
    assert after.values == {
        selectors[0]: {key("http_requests_total", code="200"): demo.value(
            "http_requests_total", code="200")},
        ALL: {key("http_request_duration_seconds_bucket", le="+Inf"): 200.0},
    }  # fmt: skip
    deltas = counter_deltas(
        before.values[ALL], [1], {k: {1: v} for k, v in after.values[ALL].items()}
    )
    assert deltas.increments == [200.0]  # the 300 before the restart are lost, as in Prometheus
    assert deltas.resets == 1


async def test_several_targets_are_told_apart_by_instance(session):
    """With two targets every series carries instance=host:port, and selectors can use it."""
    first, second = Service(seed=1), Service(seed=2)
    await first.server.start_server()
    await second.server.start_server()
    try:
        first.serve(400)
        second.serve(700)
        reader = source(session, target(first.url), target(second.url))
        only_second = f'http_requests_total{{instance="{second.instance}"}}'
        snapshot = await reader.snapshot([TOTAL, FAST, ALL, GOOD, only_second], 0)
        truth = [expected(s, {"instance": s.instance}) for s in (first, second)]
    finally:
        await first.server.close()
        await second.server.close()
    for selector in (TOTAL, FAST, ALL, GOOD):
        assert snapshot.values[selector] == {**truth[0][selector], **truth[1][selector]}
    assert sum(snapshot.values[only_second].values()) == 700


class Target:
    """A /metrics endpoint whose answer the test picks with ``mode``."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.body = "# TYPE x counter\nx_total 1\n"
        self.headers: list[dict[str, str]] = []
        self.release = asyncio.Event()
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        """The /metrics URL."""
        return str(self.server.make_url("/metrics"))

    def _canned(self, text: str) -> web.Response | None:
        """The answer of a faulty mode that is one fixed response, or None."""
        om = "application/openmetrics-text; version=1.0.0"
        canned = {
            "http500": lambda: web.Response(status=500, text="internal error: database is down"),
            "http404": lambda: web.Response(status=404, text="404: Not Found"),
            "html": lambda: web.Response(
                text="<!DOCTYPE html><html>Login</html>", content_type="text/html"
            ),
            "garbage": lambda: web.Response(body=b"x{a=1 2\n\x00", headers={"Content-Type": text}),
            "broken_openmetrics": lambda: web.Response(
                body=b"x_total 1\n", headers={"Content-Type": om}
            ),
        }
        make = canned.get(self.mode)
        return None if make is None else make()

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        self.headers.append(dict(request.headers))
        text = "text/plain; version=0.0.4"
        if self.mode == "hang":
            await self.release.wait()
        canned = self._canned(text)
        if canned is not None:
            return canned
        if self.mode in ("huge", "huge_chunked"):
            line = b"x_total 1\n" * 10_000
            if self.mode == "huge":
                return web.Response(body=line * 20, headers={"Content-Type": text})
            response = web.StreamResponse(headers={"Content-Type": text})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(20):
                await response.write(line)
            await response.write_eof()
            return response
        return web.Response(body=self.body.encode(), headers={"Content-Type": text})


@pytest.fixture
async def fault() -> AsyncIterator[Target]:
    """A target on a free port answering ``x_total 1`` until told otherwise."""
    served = Target()
    await served.server.start_server()
    yield served
    served.release.set()
    await served.server.close()


def free_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# (mode, error class, reason, fragment of the message)
FAULTS = [
    ("hang", ScrapeTimeout, "timeout", "no complete answer within 0.2s"),
    ("http500", ScrapeHTTPError, "http", "HTTP 500: 'internal error: database is down'"),
    ("http404", ScrapeHTTPError, "http", "HTTP 404"),
    ("html", ScrapeResponseError, "malformed", "HTML or XML page"),
    ("garbage", ScrapeResponseError, "malformed", "not valid Prometheus text format"),
    ("broken_openmetrics", ScrapeResponseError, "malformed", "not valid OpenMetrics"),
    ("huge", ScrapeResponseError, "malformed", "larger than 1000000 bytes"),
    ("huge_chunked", ScrapeResponseError, "malformed", "larger than 1000000 bytes"),
]


@pytest.mark.parametrize(
    ("mode", "error", "reason", "fragment"), FAULTS, ids=[f[0] for f in FAULTS]
)
async def test_a_failed_scrape_raises_a_backend_error_then_recovers(
    session, fault: Target, mode: str, error: type[ScrapeError], reason: str, fragment: str
):
    """Each failure raises its BackendError subclass naming the target; a good scrape heals it.

    The failure is counted once under its ``reason``, as self-metrics show it.
    """
    tally = QueryTally()
    reader = source(session, target(fault.url, timeout=0.2), body_limit=1_000_000, tally=tally)
    fault.mode = mode
    with pytest.raises(error) as caught:
        await reader.snapshot(["x_total"], at=123.0)
    assert isinstance(caught.value, BackendError)
    assert caught.value.reason == reason
    assert caught.value.at == 123.0
    assert caught.value.target == fault.url
    assert fragment in str(caught.value)
    assert fault.url in str(caught.value)
    assert "\n" not in str(caught.value)
    assert tally.errors == {reason: 1}
    fault.release.set()
    fault.mode = "ok"
    snapshot = await reader.snapshot(["x_total"], at=124.0)
    assert snapshot.values == {"x_total": {key("x_total"): 1.0}}
    assert tally.sent == {"scrape": 2}
    assert tally.errors == {reason: 1}


async def test_a_refused_connection_is_unavailable(session):
    """Nothing listening raises ScrapeUnavailable (reason connection) naming the URL."""
    url = f"http://127.0.0.1:{free_port()}/metrics"
    with pytest.raises(ScrapeUnavailable) as caught:
        await source(session, target(url)).snapshot(["x_total"], at=1.0)
    assert caught.value.reason == "connection"
    assert url in str(caught.value)


async def test_one_failing_target_fails_the_snapshot(session, demo: Service):
    """A snapshot is all targets or nothing: a partial sum would undercount the events.

    Only the dead target is named, in the error and in the warning logged.
    """
    url = f"http://127.0.0.1:{free_port()}/metrics"
    reader = source(session, target(demo.url), target(url))
    with capture_logs() as logs, pytest.raises(ScrapeUnavailable, match=url) as caught:
        await reader.snapshot([TOTAL], 0)
    assert demo.url not in str(caught.value)
    warnings = [(e["event"], e["target"]) for e in logs if e["log_level"] == "warning"]
    assert warnings == [("scrape_failed", url)]


async def test_a_target_s_own_instance_label_moves_aside(session, fault: Target, demo: Service):
    """With several targets, a series' own instance label becomes exported_instance."""
    fault.body = 'x_total{instance="worker-1"} 5\n'
    snapshot = await source(session, target(fault.url), target(demo.url)).snapshot(["x_total"], 0)
    instance = f"127.0.0.1:{fault.server.port}"
    assert snapshot.values["x_total"] == {
        key("x_total", instance=instance, exported_instance="worker-1"): 5.0
    }


async def test_one_target_gets_no_labels_added(session, fault: Target):
    """A single target's series keep exactly the labels it exposes."""
    fault.body = 'x_total{instance="worker-1",job="api"} 5\n'
    snapshot = await source(session, target(fault.url)).snapshot(["x_total"], 0)
    assert snapshot.values["x_total"] == {key("x_total", instance="worker-1", job="api"): 5.0}


async def test_the_scrape_asks_for_openmetrics_first(session, fault: Target):
    """The Accept header prefers OpenMetrics and the scrape timeout is announced."""
    await source(session, target(fault.url, timeout=3)).snapshot(["x_total"], 0)
    headers = fault.headers[-1]
    assert headers["Accept"].startswith("application/openmetrics-text;version=1.0.0")
    assert "text/plain;version=0.0.4" in headers["Accept"]
    assert headers["X-Prometheus-Scrape-Timeout-Seconds"] == "3"
    assert headers["User-Agent"].startswith("slo-exporter/")


@pytest.mark.parametrize("selector", ["sum(x_total)", "x_total[5m]", "", 'x_total{a=~"\\\\pL"}'])
async def test_a_selector_that_cannot_be_applied_is_a_query_error(
    session, fault: Target, selector: str
):
    """A selector the source cannot apply raises ScrapeSelectorError (reason query)."""
    with pytest.raises(ScrapeSelectorError) as caught:
        await source(session, target(fault.url)).snapshot([selector], 0)
    assert caught.value.reason == "query"
    assert caught.value.query == selector


async def wait_for(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds (fails after a generous 10 s)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail("condition not reached")


async def settled(
    reader: ScrapeSource, selectors: list[str], condition: Callable[[Snapshot], bool]
) -> Snapshot:
    """The first snapshot for which ``condition`` holds (fails after a generous 10 s).

    A snapshot that raises a ScrapeError has not settled yet.
    """
    for _ in range(1000):
        with contextlib.suppress(ScrapeError):
            snapshot = await reader.snapshot(selectors, 0)
            if condition(snapshot):
                return snapshot
        await asyncio.sleep(0.01)
    pytest.fail("condition not reached")


async def test_started_source_scrapes_on_its_interval(session, demo: Service):
    """Once started, snapshots come from the background scrapes, which keep up with the service."""
    reader = source(session, target(demo.url, interval=0.05, timeout=0.05))
    async with reader:
        first = await reader.snapshot([ALL], 0)
        assert sum(first.values[ALL].values()) == 1000
        demo.serve(250)
        later = await settled(reader, [ALL], lambda s: sum(s.values[ALL].values()) == 1250)
    assert later.at > first.at
    assert sum(later.values[ALL].values()) == 1250


async def test_started_source_reports_a_failing_target_until_it_recovers(session, fault: Target):
    """A background scrape's failure is raised by the next snapshot; a later success clears it.

    The failure and the recovery are logged once each, not at every scrape.
    """
    reader = source(session, target(fault.url, interval=0.05, timeout=0.05))
    fault.mode = "http500"
    with capture_logs() as logs:
        async with reader:
            with pytest.raises(ScrapeHTTPError):
                await reader.snapshot(["x_total"], 0)
            await wait_for(lambda: len(fault.headers) >= 3)  # a few failed scrapes in a row
            fault.mode = "ok"
            healed = await settled(reader, ["x_total"], lambda s: True)
    assert healed.values["x_total"] == {key("x_total"): 1.0}
    events = [(e["event"], e.get("reason")) for e in logs if e["event"].startswith("scrape_")]
    assert events[:2] == [("scrape_failed", "http"), ("scrape_recovered", None)]


async def test_a_scrape_that_crashes_fails_the_snapshot_and_scraping_goes_on(
    session, fault: Target
):
    """A bug inside a background scrape is a logged, malformed failure, and the loop goes on."""
    calls = itertools.count()

    def clock() -> float:
        if next(calls) == 0:
            raise RuntimeError("the clock broke")
        return time.time()

    reader = source(session, target(fault.url, interval=0.05, timeout=0.05), clock=clock)
    with capture_logs() as logs:
        async with reader:
            with pytest.raises(
                ScrapeResponseError, match="scrape crashed: the clock broke"
            ) as caught:
                await reader.snapshot(["x_total"], 0)
            healed = await settled(reader, ["x_total"], lambda s: True)
    assert caught.value.reason == "malformed"
    assert caught.value.target == fault.url
    assert healed.values == {"x_total": {key("x_total"): 1.0}}
    assert [e["target"] for e in logs if e["event"] == "scrape_crashed"] == [fault.url]


async def test_closed_source_scrapes_on_demand(session, demo: Service):
    """After close() no task is left and each snapshot scrapes there and then."""
    reader = source(session, target(demo.url, interval=3600))
    await reader.start()
    await reader.snapshot([ALL], 0)
    await reader.close()
    demo.serve(5)
    snapshot = await reader.snapshot([ALL], 0)
    assert sum(snapshot.values[ALL].values()) == 1005
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("scrape ")]


async def test_a_series_that_appears_later_comes_with_its_whole_value(session, fault: Target):
    """A label value first exposed between two snapshots is reported at its full value."""
    reader = source(session, target(fault.url))
    fault.body = 'x_total{code="200"} 5\n'
    before = await reader.snapshot(["x_total"], 0)
    fault.body = 'x_total{code="200"} 9\nx_total{code="500"} 1\n'
    after = await reader.snapshot(["x_total"], 0)
    assert before.values["x_total"] == {key("x_total", code="200"): 5.0}
    assert after.values["x_total"] == {
        key("x_total", code="200"): 9.0,
        key("x_total", code="500"): 1.0,
    }


SERIES_CHANGES = [
    pytest.param(
        ['x_total{code="200"} 5\nx_total{code="500"} 1\n',
         'x_total{code="200"} 8\nx_total{code="500"} 2\n'],
        id="same series, new values",
    ),
    pytest.param(
        ['x_total{code="200"} 5\nx_total{code="500"} 1\n',
         'x_total{code="500"} 2\nx_total{code="200"} 8\n'],
        id="same series in another order",
    ),
    pytest.param(
        ['x_total{code="200"} 5\nx_total{code="500"} 1\n', 'x_total{code="500"} 2\n'],
        id="a series gone",
    ),
    pytest.param(
        ['x_total{code="200"} 5\n',
         'x_total{code="200"} 6\nx_total{code="503"} 4\ny_total{code="500"} 3\n'],
        id="a series and a metric added",
    ),
    pytest.param(
        ['x_total{code="200"} 5\nx_total{code="500"} 1\n',
         'x_total{code="200"} 6\nx_total{code="500"} 2\n',
         'x_total{code="200",path="/"} 7\nx_total{code="500"} 3\n'],
        id="same count of series, one with other labels",
    ),
]  # fmt: skip


@pytest.mark.parametrize("bodies", SERIES_CHANGES)
async def test_every_snapshot_matches_the_series_of_its_own_scrape(
    session, fault: Target, bodies: list[str]
):
    """Matches remembered from one scrape to the next never outlive the series they were
    made for: each snapshot holds exactly the series and values of the scrape it read."""
    selectors = ['x_total{code!~"5.."}', "x_total", 'y_total{code=~"5.."}', 'x_total{code="200"}']
    reader = source(session, target(fault.url))
    for body in bodies:
        fault.body = body
        snapshot = await reader.snapshot(selectors, 0)
        series = [_parsed_line(line) for line in body.splitlines()]
        for selector in selectors:
            matcher = parse_selector(selector)
            want = {
                key(name, **labels): value
                for name, labels, value in series
                if _selects(matcher, name, labels)
            }
            assert snapshot.values[selector] == want, (selector, body)


def _parsed_line(line: str) -> tuple[str, dict[str, str], float]:
    """``name{a="1",b="2"} v`` as name, labels and value (the simple lines above only)."""
    head, value = line.rsplit(" ", 1)
    name, _, rest = head.partition("{")
    pairs = [pair.split("=", 1) for pair in rest.rstrip("}").split(",") if pair]
    return name, {k: v.strip('"') for k, v in pairs}, float(value)


def _selects(selector: Any, name: str, labels: dict[str, str]) -> bool:
    """Whether ``selector`` selects the series (PromQL's rules, for the matchers above)."""
    full = {"__name__": name, **labels}
    if selector.name and selector.name != name:
        return False
    for m in selector.matchers:
        got = full.get(m.label, "")
        regex = m.op in (MatchOp.REGEX, MatchOp.NOT_REGEX)
        equal = re.fullmatch(m.value, got) is not None if regex else got == m.value
        if equal != (m.op in (MatchOp.EQUAL, MatchOp.REGEX)):
            return False
    return True


async def test_each_snapshot_answers_exactly_the_selectors_it_asks(session, fault: Target):
    """Repeated, new and dropped selectors: each snapshot maps just its own, once each."""
    fault.body = 'x_total{code="200"} 5\nx_total{code="500"} 1\n'
    reader = source(session, target(fault.url))
    good, bad = 'x_total{code="200"}', 'x_total{code="500"}'
    first = await reader.snapshot([good, good, "x_total"], 0)
    second = await reader.snapshot([bad, good], 0)
    assert first.values == {
        good: {key("x_total", code="200"): 5.0},
        "x_total": {key("x_total", code="200"): 5.0, key("x_total", code="500"): 1.0},
    }
    assert second.values == {
        bad: {key("x_total", code="500"): 1.0},
        good: {key("x_total", code="200"): 5.0},
    }


async def test_reads_and_failures_are_tallied_like_queries(session, fault: Target):
    """With a tally, each snapshot counts as a scrape sent and each failure under its reason."""
    tally = QueryTally()
    reader = source(session, target(fault.url), tally=tally)
    await reader.snapshot(["x_total"], 0)
    fault.mode = "http500"
    with pytest.raises(ScrapeHTTPError):
        await reader.snapshot(["x_total"], 0)
    with pytest.raises(ScrapeSelectorError):
        await reader.snapshot(["sum(x_total)"], 0)
    assert tally.sent == {"scrape": 3}
    assert tally.errors == {"http": 1, "query": 1}


async def test_many_selectors_find_their_series_in_a_big_target_quickly(session):
    """5,000 SLO selectors, each on one service's series (as in the 50,000-SLO benchmark),
    against a target of 2,000 series: each selector gets exactly its service's series, and
    the snapshot is made in well under 3 s (every selector checked every series before:
    10 million checks on the event loop)."""
    services, codes = 500, ("200", "404", "500", "503")
    lines = ["# TYPE http_requests_total counter"]
    lines += [
        f'http_requests_total{{service="s{s}",code="{c}"}} {s * 10 + n}'
        for s in range(services)
        for n, c in enumerate(codes)
    ]
    body = "\n".join(lines) + "\n"

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    server = TestServer(app)
    await server.start_server()
    selectors = [
        f'http_requests_total{{service="s{i % services}",code!~"5..",bench!="{i}"}}'
        for i in range(5_000)
    ]
    try:
        started = time.perf_counter()
        snapshot = await source(session, target(str(server.make_url("/metrics")))).snapshot(
            selectors, 0
        )
        elapsed = time.perf_counter() - started
    finally:
        await server.close()
    for i, selector in enumerate(selectors):
        s = i % services
        assert snapshot.values[selector] == {
            key("http_requests_total", service=f"s{s}", code="200"): float(s * 10),
            key("http_requests_total", service=f"s{s}", code="404"): float(s * 10 + 1),
        }
    assert elapsed < 3.0
