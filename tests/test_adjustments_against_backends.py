"""Budget adjustments on real backends: every window and the period without the events
inside the adjustments, equal to the generator's truth computed without them.

Query mode (``eval --at``) runs on Prometheus and VictoriaMetrics; store mode (the
history store filled from Prometheus, as ``run --data-dir`` does) and ``report`` on
Prometheus. The expected numbers are :func:`adjustment_truth.expected`: the exact
increments of each window less those of each excluded span inside it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from adjustment_truth import (
    HOUR,
    NIGHTLY_SLOS,
    OUTAGE_SLOS,
    expected,
    outage_span,
    rfc3339,
    spans,
    write_adjusted_config,
)
from cli_run import eval_by_name
from metrics_text import one, parse, pick
from pipelines import pipeline, stored
from test_daemon_against_backends import wait_ready
from test_metrics_promtool import promtool_check
from truth import DAY, TRUTH

from exporter.app import create_app
from exporter.cli import main
from exporter.config.loader import load_config
from exporter.domain.durations import parse_duration
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.stored import HistoryKeeper
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.sources.promql import PromQLSource
from exporter.store.history import HistoryStore

ADJUSTED = (*OUTAGE_SLOS, *NIGHTLY_SLOS)
# now; ten minutes into the forgiven outage (the adjustment in force); a whole hour
# a day ago (the nightly hours and the outage inside the longer windows)
OFFSETS = {"now": 0, "in-outage": -2 * DAY + 600, "1d-ago": -DAY}


@pytest.fixture(scope="module")
def config_path(backend, tmp_path_factory) -> Path:
    return write_adjusted_config(tmp_path_factory.mktemp("adjusted"), backend.now, backend.url)


@pytest.fixture(scope="module")
def evaluations(backend, config_path) -> dict[str, dict[str, dict]]:
    """One ``eval --at`` per offset."""
    return {label: eval_by_name(config_path, backend.now + o) for label, o in OFFSETS.items()}


@pytest.mark.parametrize("when", list(OFFSETS))
@pytest.mark.parametrize("name", ADJUSTED)
def test_eval_counts_every_window_without_the_adjusted_events(backend, evaluations, when, name):
    """``eval --at``: each window's good and total events equal the exact increments less
    those inside the adjustments (clipped to the window), on each backend."""
    at = backend.now + OFFSETS[when]
    slo = evaluations[when][name]
    for label, counted in slo["events"].items():
        good, total = expected(TRUTH[name], backend.history, backend.now, at, parse_duration(label))
        assert counted["total"] == pytest.approx(total, rel=1e-9, abs=1e-9), label
        assert counted["good"] == pytest.approx(good, rel=1e-9, abs=1e-9), label


def test_the_forgiven_outage_leaves_the_period_sli(backend, evaluations):
    """checkout-availability's 30-day SLI with the outage excluded is the truth without it,
    and higher than the SLI with it."""
    truth, history, now = TRUTH["checkout-availability"], backend.history, backend.now
    good, total = expected(truth, history, now, now, 30 * DAY)
    slo = evaluations["now"]["checkout-availability"]
    assert slo["sli"] == pytest.approx(good / total, rel=1e-12)
    with_outage = truth.good(history, now, 30 * DAY) / truth.total(history, now, 30 * DAY)
    assert slo["sli"] > with_outage
    start, end = outage_span(now)
    assert slo["budget_adjustments"]["excluded_seconds"] == end - start


def test_during_an_adjustment_it_is_active_and_short_windows_are_empty(evaluations):
    """Ten minutes into the forgiven outage the adjustment is in force: the 5m window has no
    events left (no burn rate, so no page), and eval names the adjustment."""
    slo = evaluations["in-outage"]["checkout-availability"]
    assert slo["budget_adjustments"]["active"] == ["outage-forgiven"]
    assert slo["events"]["5m"] == {"good": 0.0, "total": 0.0}
    assert slo["burn_rates"]["5m"] is None
    assert not any(a["firing"] and a["short_window"] == "5m" for a in slo["alerts"])
    assert evaluations["now"]["checkout-availability"]["budget_adjustments"]["active"] == []


@pytest.mark.parametrize("shift", [0, -DAY - 3 * HOUR], ids=["now", "27h-ago"])
async def test_store_mode_counts_the_same_as_the_truth(prometheus, tmp_path, shift):
    """The store path (a cold backfill from Prometheus, as ``run --data-dir`` starts) takes
    the same events out: every window equals the truth, the period within 0.1 % (its edge
    may cut a coarse bucket)."""
    now = prometheus.now
    at = now // HOUR * HOUR + shift
    settings = load_config(write_adjusted_config(tmp_path, now, prometheus.url))
    async with aiohttp.ClientSession() as session:
        gate = QueryGate(PromQLClient(session, settings.backend), 8)
        source = PromQLSource(gate)
        store = HistoryStore.open(tmp_path / "data")
        try:
            counters = [stored(HistoryKeeper(store), source, source), DirectCounter(gate)]
            run = await pipeline(settings.slos, counters).evaluate(at)
        finally:
            store.close()
    assert not run.failures
    assert run.paths["store"].slos >= len(OUTAGE_SLOS)
    for name in ADJUSTED:
        result = run.results[name]
        period = result.slo.period_window(at)
        for window, got in {**result.windows, period: result.period}.items():
            good, total = expected(TRUTH[name], prometheus.history, now, at, window)
            rel = 1e-3 if window == period else 1e-9
            assert got.events.total == pytest.approx(total, rel=rel, abs=1e-9), (name, window)
            assert got.events.good == pytest.approx(good, rel=rel, abs=1e-9), (name, window)


@pytest.fixture(params=["query", "store"])
async def daemon_metrics(request, prometheus, tmp_path, aiohttp_client) -> dict:
    """A scrape of ``run`` (query mode, or store mode with a data directory) on the
    adjusted config, after its first cycle; the text checked by promtool."""
    settings = load_config(write_adjusted_config(tmp_path, prometheus.now, prometheus.url))
    options = {"store": HistoryStore.open(tmp_path / "data")} if request.param == "store" else {}
    client = await aiohttp_client(create_app(settings, **options))
    await wait_ready(client)
    text = await (await client.get("/metrics")).text()
    checked = promtool_check(text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return parse(text)


async def test_the_daemon_serves_the_adjusted_numbers_in_both_modes(prometheus, daemon_metrics):
    """``run``'s /metrics (promtool-valid) in query and store mode: each window of the
    adjusted SLOs without the excluded events (the period within 0.1 % in store mode), the
    adjustments in force and the seconds of the period they take out."""
    samples, now = daemon_metrics, prometheus.now
    for name in ADJUSTED:
        at = one(samples, "slo_evaluation_timestamp_seconds", slo=name)
        for labels, seen in pick(samples, "slo_window_events", slo=name).items():
            window = parse_duration(dict(labels)["window"])
            good, total = expected(TRUTH[name], prometheus.history, now, at, window)
            rel = 1e-3 if window >= 7 * DAY else 1e-9
            assert seen == pytest.approx(total, rel=rel, abs=1e-9), (name, window)
            label = dict(labels)["window"]
            good_seen = one(samples, "slo_window_good_events", slo=name, window=label)
            assert good_seen == pytest.approx(good, rel=rel, abs=1e-9), (name, window)
        assert one(samples, "slo_budget_adjustments_active", slo=name) == 0
    start, end = outage_span(now)
    adjusted = one(samples, "slo_budget_adjusted_seconds", slo="checkout-availability")
    assert adjusted == end - start
    nightly = one(samples, "slo_budget_adjusted_seconds", slo="search-availability")
    at = one(samples, "slo_evaluation_timestamp_seconds", slo="search-availability")
    assert nightly == excluded_seconds("search-availability", now, at, 7 * DAY)
    assert pick(samples, "slo_budget_adjustments_active", slo="quiet-availability") == {}


def excluded_seconds(name: str, now: int, at: float, period: float) -> float:
    """Seconds of the spans of ``name`` inside ``(at - period, at]``."""
    return sum(max(0.0, min(end, at) - max(start, at - period)) for start, end in spans(name, now))


def in_force(name: str, now: int, at: float) -> list[str]:
    """The adjustments of ``name`` whose span holds ``at``."""
    held = any(start <= at < end for start, end in spans(name, now))
    return [] if not held else ["outage-forgiven" if name in OUTAGE_SLOS else "nightly-reindex"]


@pytest.mark.parametrize("when", list(OFFSETS))
@pytest.mark.parametrize("name", ADJUSTED)
def test_eval_names_the_adjustments_in_force_and_the_seconds_they_take(
    backend, evaluations, when, name
):
    """``eval --at``'s ``budget_adjustments``: the names of the spans holding T and the
    seconds of the period the spans cover, both computed from the generator's spans."""
    at = backend.now + OFFSETS[when]
    slo = evaluations[when][name]
    period = TRUTH[name].period
    assert slo["budget_adjustments"] == {
        "active": in_force(name, backend.now, at),
        "excluded_seconds": excluded_seconds(name, backend.now, at, period),
    }


NAME = "quiet-availability"


async def test_an_adjustment_in_force_now_shows_on_metrics(prometheus, tmp_path, aiohttp_client):
    """An adjustment holding the evaluation time: ``slo_budget_adjustments_active`` is 1,
    ``slo_budget_adjusted_seconds`` is the span's part up to T, and each window holds only
    the truth's events before the span."""
    now, start = prometheus.now, prometheus.now - HOUR
    extra = (f"  - name: quiet-freeze\n    reason: a test\n    from: {rfc3339(start)}\n"
             f"    to: {rfc3339(now + 2 * HOUR)}\n    slos: [quiet-availability]\n")  # fmt: skip
    path = write_adjusted_config(tmp_path, now, prometheus.url)
    path.write_text(path.read_text() + extra)
    client = await aiohttp_client(create_app(load_config(path)))
    await wait_ready(client)
    samples = parse(await (await client.get("/metrics")).text())
    at = one(samples, "slo_evaluation_timestamp_seconds", slo=NAME)
    assert one(samples, "slo_budget_adjustments_active", slo=NAME) == 1
    assert one(samples, "slo_budget_adjusted_seconds", slo=NAME) == at - start
    truth = TRUTH[NAME]
    for labels, seen in pick(samples, "slo_window_events", slo=NAME).items():
        window = parse_duration(dict(labels)["window"])
        kept = max(0.0, start - (at - window))
        total = truth.total(prometheus.history, start, kept) if kept else 0.0
        good = truth.good(prometheus.history, start, kept) if kept else 0.0
        good_seen = one(
            samples,
            "slo_window_good_events",
            slo=NAME,
            window=dict(labels)["window"],
        )
        rel = 1e-3 if window >= 7 * DAY else 1e-9
        assert seen == pytest.approx(total, rel=rel, abs=1e-9), window
        assert good_seen == pytest.approx(good, rel=rel, abs=1e-9), window


def _report(config: Path, start: int, end: int, fmt: str = "json") -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--log-format", "json", "report", "-c", str(config), "--from", str(start),
                     "--to", str(end), "--format", fmt])  # fmt: skip
    assert code == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def three_days(backend, config_path) -> dict[str, dict]:
    """``report`` over the last three days (the outage and nine nightly hours inside)."""
    now = backend.now
    document = json.loads(_report(config_path, now - 3 * DAY, now))
    return {slo["name"]: slo for slo in document["slos"]}


@pytest.mark.parametrize("name", ADJUSTED)
def test_report_figures_leave_the_adjusted_events_out(backend, three_days, name):
    """The report's period events and SLI equal the truth without the excluded events (the
    nightly hours start mid-step for no SLO: all spans fall on the 5m grid)."""
    now = backend.now
    good, total = expected(TRUTH[name], backend.history, now, now, 3 * DAY)
    slo = three_days[name]
    assert slo["events"] == pytest.approx({"good": good, "total": total}, rel=1e-12)
    assert slo["sli"] == pytest.approx(good / total, rel=1e-12)
    previous_good, previous_total = expected(
        TRUTH[name], backend.history, now, now - 3 * DAY, 3 * DAY
    )
    assert slo["previous"]["events"] == pytest.approx(
        {"good": previous_good, "total": previous_total}, rel=1e-12
    )


def test_the_report_lists_the_adjustment_and_drops_the_forgiven_incident(backend, three_days):
    """The forgiven outage is no incident any more, and the report says what it left out."""
    now = backend.now
    slo = three_days["checkout-availability"]
    start, end = outage_span(now)
    assert not [i for i in slo["incidents"] if start <= _seconds(i["start"]) < end]
    (listed,) = slo["budget_adjustments"]
    assert listed["name"] == "outage-forgiven"
    assert listed["reason"].startswith("the load balancer's fault")
    assert listed["excluded_seconds"] == end - start
    nightly = three_days["search-availability"]["budget_adjustments"][0]
    assert nightly["rrule"] == "FREQ=DAILY"
    assert len(nightly["spans"]) in {3, 4}


def test_markdown_and_html_reports_name_the_adjustment(backend, config_path):
    """The Markdown and HTML reports show the adjustment with its reason."""
    now = backend.now
    for fmt in ("md", "html"):
        text = _report(config_path, now - 3 * DAY, now, fmt)
        assert "outage-forgiven (the load balancer" in text.replace("&#x27;", "'"), fmt


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def test_status_page_and_api_show_the_adjustments(prometheus, tmp_path, aiohttp_client):
    """``/slo/{name}`` has a table of the SLO's adjustments (reason, repeats, in force or
    not, seconds of the period left out) from the same document ``/api/v1/slos/{name}``
    serves."""
    settings = load_config(write_adjusted_config(tmp_path, prometheus.now, prometheus.url))
    client = await aiohttp_client(create_app(settings))
    await wait_ready(client)
    document = (await (await client.get("/api/v1/slos/checkout-availability")).json())["slo"]
    start, end = outage_span(prometheus.now)
    assert document["budget_adjustments"] == [
        {
            "name": "outage-forgiven",
            "reason": "the load balancer's fault, not checkout's (postmortem PM-17)",
            "rrule": None,
            "active": False,
            "excluded_seconds": end - start,
        }
    ]
    html = await (await client.get("/slo/search-availability")).text()
    table = re.search(r'<table id="adjustments">.*?</table>', html)
    assert table is not None
    assert "nightly-reindex" in table.group(0)
    assert "FREQ=DAILY" in table.group(0)
    assert "not in force" in table.group(0)
    quiet = await (await client.get("/slo/quiet-availability")).text()
    assert 'id="adjustments"' not in quiet


async def test_settled_spans_are_counted_once_across_cycles(prometheus, tmp_path):
    """Query mode counts a span that ended 5 minutes before T once and keeps it while the
    next cycles ask for it: the first cycle sends two queries per span, the
    next ones only for a span a window edge cuts anew; every cycle's events still equal
    the truth."""
    now = prometheus.now
    settings = load_config(write_adjusted_config(tmp_path, now, prometheus.url))
    plain = [dataclasses.replace(slo, adjustments=()) for slo in settings.slos]
    async with aiohttp.ClientSession() as session:
        gate = QueryGate(PromQLClient(session, settings.backend), 8)
        base = (await pipeline(plain, [DirectCounter(gate)]).evaluate(now)).queries
        adjusted = pipeline(settings.slos, [DirectCounter(gate)])
        runs = [await adjusted.evaluate(now + 60 * k) for k in range(3)]
    extra = [run.queries - base for run in runs]
    spans = sum(len(spans_of(name, now, now)) for name in ADJUSTED)
    assert extra[0] >= 2 * spans
    assert max(extra[1:]) <= 4, extra  # a span or two that an edge cut, or that settled
    for run in runs:
        for name in ADJUSTED:
            result = run.results[name]
            for window, got in result.windows.items():
                good, total = expected(TRUTH[name], prometheus.history, now, run.at, window)
                assert got.events.total == pytest.approx(total, rel=1e-9, abs=1e-9)
                assert got.events.good == pytest.approx(good, rel=1e-9, abs=1e-9)


def spans_of(name: str, now: int, at: int) -> list[tuple[int, int]]:
    """The spans of ``name`` inside its period at ``at``."""
    period = TRUTH[name].period
    return [(s, e) for s, e in spans(name, now) if e > at - period and s < at]


@pytest.mark.parametrize("when", ["now", "in-outage"])
def test_decide_judges_the_same_budget_as_eval(backend, config_path, evaluations, when):
    """``decide --at T`` sees each checkout SLO's remaining budget and burn rate as ``eval
    --at T`` does, adjustments taken out (its exit code is the verdict, so not 0 here)."""
    at = backend.now + OFFSETS[when]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["--log-format", "json", "decide", "-c", str(config_path), "--service",
              "checkout", "--risk", "medium", "--at", str(at), "--format", "json"])  # fmt: skip
    for entry in json.loads(out.getvalue())["slos"]:
        evaluated = evaluations[when][entry["slo"]]
        remaining = evaluated["error_budget_remaining_ratio"]
        assert entry["budget_remaining_ratio"] == pytest.approx(remaining, rel=1e-12)
        burn = evaluated["burn_rates"][entry["burn_window"]]
        assert entry["burn_rate"] == (None if burn is None else pytest.approx(burn, rel=1e-12))
