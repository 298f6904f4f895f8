"""The daemon under backend faults and config reloads, against an in-process fake backend.

The fake answers ``990`` to good-event queries and ``1000`` to the rest (``good_of``;
a fused window query the same in two rows), so a healthy cycle gives every SLO an SLI of
0.99 in every window.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
from pathlib import Path

import pytest
from fake_backend import FakeBackend, good_of
from metrics_text import one, parse, pick

from exporter import logs
from exporter.app import DAEMON, create_app
from exporter.config.loader import load_config

SECRET = "s3cr3t-token-value"

CONFIG = """\
backend:
  url: {url}
  timeout: 1s
  bearer_token: {{env: SLO_TEST_TOKEN}}
evaluation:
  interval: 1h
slos:
  - name: checkout-availability
    service: checkout
    objective: 99
    sli:
      ratio:
        good: http_requests_total{{code!~"5.."}}
        total: http_requests_total
{extra}"""

EXTRA_SLO = """\
  - name: search-availability
    service: search
    objective: 99.5
    sli:
      ratio:
        bad: search_errors_total
        total: search_requests_total
"""


answer = good_of(990.0, 1000.0)


@pytest.fixture
def backend_answers(fake_backend: FakeBackend) -> FakeBackend:
    fake_backend.default = answer
    return fake_backend


@pytest.fixture
def config_file(tmp_path: Path, backend_answers: FakeBackend, monkeypatch) -> Path:
    monkeypatch.setenv("SLO_TEST_TOKEN", SECRET)
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url=backend_answers.url, extra=""))
    return path


@pytest.fixture
def log_output(monkeypatch):
    """Capture JSON log lines for the test, restore console logging afterwards (the
    secrets the test's daemons add are forgotten with the test)."""
    stream = io.StringIO()
    logs.configure("json", "debug", stream=stream)
    monkeypatch.setattr(logs, "_secrets", [])
    logs.add_secrets([f"Bearer {SECRET}", SECRET])
    yield stream
    logs.configure("console", "info")


async def wait_cycles(app, target: int) -> None:
    """Wait until ``target`` cycles have finished (bounded, not a speed assertion)."""
    for _ in range(500):
        if app[DAEMON].cycles >= target:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"cycle {target} never finished")


async def next_cycle(app) -> None:
    """Wake the idle loop and wait for the cycle that wakes."""
    target = app[DAEMON].cycles + 1
    app[DAEMON].wake()
    await wait_cycles(app, target)


async def scrape(client) -> dict:
    response = await client.get("/metrics")
    assert response.status == 200
    return parse(await response.text())


async def started(aiohttp_client, config_file: Path, **kwargs):
    settings = load_config(config_file)
    app = create_app(settings, config_path=config_file, **kwargs)
    client = await aiohttp_client(app)
    await wait_cycles(app, 1)
    return app, client


async def test_healthy_cycle_serves_numbers(aiohttp_client, config_file, backend_answers):
    """A healthy backend gives data_ok 1, backend_up 1 and the fake's 0.99 SLI everywhere."""
    _, client = await started(aiohttp_client, config_file)
    samples = await scrape(client)
    assert one(samples, "slo_data_ok", slo="checkout-availability") == 1
    assert one(samples, "slo_exporter_backend_up") == 1
    slis = pick(samples, "slo_sli_ratio", slo="checkout-availability")
    assert len(slis) == 8
    assert all(v == pytest.approx(0.99) for v in slis.values())
    assert backend_answers.requests, "the fake saw no query"
    assert all(r.headers["Authorization"] == f"Bearer {SECRET}" for r in backend_answers.requests)


@pytest.mark.parametrize(
    ("mode", "reason", "backend_up"),
    [
        ("http500", "http", 0),
        ("malformed", "malformed", 0),
        ("badshape", "malformed", 0),
        ("truncated", "malformed", 0),
        ("hang", "timeout", 0),
        ("query_error", "query", 1),
        ("nan", "query", 1),
    ],
)
async def test_fault_keeps_last_values_and_says_so(
    aiohttp_client, config_file, backend_answers, mode, reason, backend_up
):
    """After a fault the last numbers stay, data_ok drops to 0 and the error is counted."""
    app, client = await started(aiohttp_client, config_file)
    before = await scrape(client)
    backend_answers.mode = mode
    await next_cycle(app)
    after = await scrape(client)
    assert one(after, "slo_data_ok", slo="checkout-availability") == 0
    assert one(after, "slo_exporter_backend_up") == backend_up
    assert one(after, "slo_exporter_query_errors_total", reason=reason) > 0
    for name in ("slo_sli_ratio", "slo_burn_rate", "slo_error_budget_remaining_ratio"):
        assert pick(before, name), f"{name} missing before the outage"
        assert pick(after, name) == pick(before, name), f"{name} changed during the outage"
    assert one(after, "slo_exporter_evaluations_total", result="failure") == 1
    assert (await client.get("/healthz")).status == 200

    backend_answers.mode = "ok"
    await next_cycle(app)
    recovered = await scrape(client)
    assert one(recovered, "slo_data_ok", slo="checkout-availability") == 1
    assert one(recovered, "slo_exporter_backend_up") == 1


async def test_backend_down_from_the_start(aiohttp_client, tmp_path, monkeypatch):
    """With nothing listening, the exporter still gets ready and reports the outage."""
    monkeypatch.setenv("SLO_TEST_TOKEN", SECRET)
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url="http://127.0.0.1:9", extra=""))
    _, client = await started(aiohttp_client, path)
    assert (await client.get("/readyz")).status == 200
    samples = await scrape(client)
    assert one(samples, "slo_exporter_backend_up") == 0
    assert one(samples, "slo_data_ok", slo="checkout-availability") == 0
    assert one(samples, "slo_exporter_query_errors_total", reason="connection") > 0
    assert one(samples, "slo_objective_ratio", slo="checkout-availability") == 0.99
    assert pick(samples, "slo_sli_ratio") == {}
    assert pick(samples, "slo_exporter_last_successful_evaluation_timestamp_seconds") == {}


STATUS_NAMES = {"healthy", "attention", "warning", "critical", "exhausted", "no_data", "unknown"}


def current_status(samples: dict, slo: str = "checkout-availability") -> str:
    """The status ``slo_status`` marks 1 for ``slo``, after checking it is one-hot over every
    documented status."""
    marked = {
        dict(labels)["status"]: v for labels, v in pick(samples, "slo_status", slo=slo).items()
    }
    assert set(marked) == STATUS_NAMES, f"slo_status of {slo}: {marked}"
    current = [status for status, value in marked.items() if value == 1]
    assert len(current) == 1, marked
    assert sum(marked.values()) == 1, marked
    return current[0]


@pytest.mark.parametrize(
    ("mode", "status"),
    [
        ("empty", "no_data"),  # the backend answers: the service had no traffic
        ("http500", "unknown"),
        ("malformed", "unknown"),
        ("hang", "unknown"),
        ("query_error", "unknown"),
    ],
)
async def test_a_failing_backend_from_the_start_is_not_reported_as_no_traffic(
    aiohttp_client, config_file, backend_answers, mode, status
):
    """Before any good cycle slo_data_ok is 0 both for a quiet service and for a backend that
    fails; slo_status tells them apart: no_data for no traffic, unknown for a failure."""
    backend_answers.mode = mode
    _, client = await started(aiohttp_client, config_file)
    samples = await scrape(client)
    assert one(samples, "slo_data_ok", slo="checkout-availability") == 0
    assert current_status(samples) == status


async def test_a_failure_after_a_good_cycle_is_unknown_with_the_last_numbers(
    aiohttp_client, config_file, backend_answers
):
    """A backend that fails after a good cycle turns the status to unknown while the last good
    numbers stay served; the next good cycle brings the real status back."""
    app, client = await started(aiohttp_client, config_file)
    before = await scrape(client)
    assert current_status(before) not in {"no_data", "unknown"}
    backend_answers.mode = "http500"
    await next_cycle(app)
    after = await scrape(client)
    assert current_status(after) == "unknown"
    for name in ("slo_sli_ratio", "slo_error_budget_remaining_ratio"):
        assert pick(after, name) == pick(before, name), f"{name} changed during the outage"
    backend_answers.mode = "ok"
    await next_cycle(app)
    assert current_status(await scrape(client)) == current_status(before)


async def test_not_ready_before_first_evaluation(aiohttp_client, config_file, backend_answers):
    """/readyz is 503 while the first cycle is still waiting on the backend."""
    backend_answers.mode = "hang"
    app = create_app(load_config(config_file))
    client = await aiohttp_client(app)
    assert (await client.get("/readyz")).status == 503
    assert (await client.get("/healthz")).status == 200


async def test_reload_applies_a_valid_config(aiohttp_client, config_file, backend_answers):
    """A new valid file adds its SLOs on reload and the reload is reported successful."""
    app, client = await started(aiohttp_client, config_file)
    config_file.write_text(CONFIG.format(url=backend_answers.url, extra=EXTRA_SLO))
    previous = app[DAEMON].cycles
    assert await app[DAEMON].reload(config_file) is True  # reloading wakes the loop
    await wait_cycles(app, previous + 1)
    samples = await scrape(client)
    assert one(samples, "slo_data_ok", slo="search-availability") == 1
    assert one(samples, "slo_exporter_slos") == 2
    assert one(samples, "slo_exporter_config_last_reload_successful") == 1


async def test_probes_and_scrapes_answer_while_a_reload_reads_the_config(
    aiohttp_client, config_file, backend_answers, tmp_path
):
    """A reload reads and checks the file in a worker thread (tens of seconds at 10,000
    SLOs): until the file is there, /healthz and /metrics keep answering with the old
    config; then the new one applies."""
    app, client = await started(aiohttp_client, config_file)
    pipe = tmp_path / "slos-pipe.yaml"
    os.mkfifo(pipe)  # reading it blocks until a writer delivers the text
    reload = asyncio.ensure_future(app[DAEMON].reload(pipe))
    await asyncio.sleep(0.05)
    assert not reload.done()
    assert (await client.get("/healthz")).status == 200
    assert one(await scrape(client), "slo_exporter_slos") == 1
    text = CONFIG.format(url=backend_answers.url, extra=EXTRA_SLO)
    await asyncio.to_thread(pipe.write_text, text)
    assert await asyncio.wait_for(reload, 10) is True
    assert one(await scrape(client), "slo_exporter_slos") == 2


async def test_invalid_reload_keeps_the_old_config(
    aiohttp_client, config_file, backend_answers, log_output
):
    """A broken file is logged with its problem, reported in self-metrics, and changes nothing."""
    app, client = await started(aiohttp_client, config_file)
    before = await scrape(client)
    config_file.write_text(CONFIG.format(url=backend_answers.url, extra="").replace("99", "100"))
    assert await app[DAEMON].reload(config_file) is False
    await next_cycle(app)
    after = await scrape(client)
    assert one(after, "slo_exporter_config_last_reload_successful") == 0
    assert one(after, "slo_data_ok", slo="checkout-availability") == 1
    assert pick(after, "slo_objective_ratio") == pick(before, "slo_objective_ratio")
    text = log_output.getvalue()
    assert "config_reload_failed" in text
    assert "objective" in text


@pytest.mark.parametrize(
    "broken",
    [
        "slos: " + "[" * 3000 + "]" * 3000 + "\n",
        "evaluation: {interval: " + "9" * 5000 + "}\n",
        "# a NUL \x00 in a comment\n",
    ],
    ids=["nesting-3000-deep", "5000-digit-integer", "nul-byte"],
)
async def test_every_failed_reload_is_reported_and_keeps_the_old_config(
    aiohttp_client, config_file, backend_answers, log_output, broken
):
    """Whatever a file breaks (the YAML reader's limits included), a reload that cannot use
    it says so: the flag drops to 0, one JSON log line names the file, and the old config
    keeps serving (such files left the flag at 1 and a traceback outside the log)."""
    app, client = await started(aiohttp_client, config_file)
    config_file.write_text(CONFIG.format(url=backend_answers.url, extra="") + broken)
    assert await app[DAEMON].reload(config_file) is False
    after = await scrape(client)
    assert one(after, "slo_exporter_config_last_reload_successful") == 0
    assert one(after, "slo_exporter_slos") == 1
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    failed = [line for line in lines if line["event"] == "config_reload_failed"]
    assert len(failed) == 1
    assert str(config_file) in failed[0]["problems"][0]
    assert "Traceback" not in log_output.getvalue()


async def test_file_change_triggers_reload(aiohttp_client, config_file, backend_answers):
    """Editing the config file is noticed without a signal."""
    app, _ = await started(aiohttp_client, config_file, watch_interval=0.05)
    config_file.write_text(CONFIG.format(url=backend_answers.url, extra=EXTRA_SLO))
    for _ in range(200):
        if len(app[DAEMON].settings.slos) == 2:
            break
        await asyncio.sleep(0.02)
    assert [s.name for s in app[DAEMON].settings.slos] == [
        "checkout-availability",
        "search-availability",
    ]


async def test_sighup_triggers_reload(aiohttp_client, config_file, backend_answers):
    """SIGHUP reloads the config file."""
    app, _ = await started(aiohttp_client, config_file, watch_interval=3600, handle_signals=True)
    config_file.write_text(CONFIG.format(url=backend_answers.url, extra=EXTRA_SLO))
    os.kill(os.getpid(), signal.SIGHUP)
    for _ in range(200):
        if len(app[DAEMON].settings.slos) == 2:
            break
        await asyncio.sleep(0.02)
    assert len(app[DAEMON].settings.slos) == 2


@pytest.mark.parametrize("mode", ["http500", "query_error", "hang", "malformed"])
async def test_no_secret_in_any_log_line(
    aiohttp_client, config_file, backend_answers, log_output, mode
):
    """Whatever fails, the bearer token never reaches the logs (and the logs did record it)."""
    backend_answers.error_body = f"echo Authorization: Bearer {SECRET}"
    backend_answers.query_error_message = f"bad token {SECRET}"
    app, _ = await started(aiohttp_client, config_file)
    backend_answers.mode = mode
    await next_cycle(app)
    text = log_output.getvalue()
    assert "slo_evaluation_failed" in text
    assert SECRET not in text


MANY_SLOS = "".join(
    f"""\
  - name: svc-{i:02d}
    service: svc-{i:02d}
    objective: 99
    sli:
      ratio:
        good: svc_{i:02d}_total{{code!~"5.."}}
        total: svc_{i:02d}_total
"""
    for i in range(30)
)


@pytest.mark.parametrize(
    ("mode", "lines"),
    [("http500", 1), ("query_error", 31)],
    ids=["backend-down: one line", "each query refused: a line per SLO"],
)
async def test_a_backend_outage_is_one_log_line_a_cycle(
    aiohttp_client, tmp_path, backend_answers, log_output, monkeypatch, mode, lines
):
    """31 SLOs and a backend answering 500: one slo_evaluation_failed line counting them
    and naming the first five; a query error (each SLO's own) stays a line per SLO."""
    monkeypatch.setenv("SLO_TEST_TOKEN", SECRET)
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url=backend_answers.url, extra=MANY_SLOS))
    backend_answers.mode = mode
    app, _ = await started(aiohttp_client, path)
    await next_cycle(app)
    records = [json.loads(line) for line in log_output.getvalue().splitlines()]
    failed = [r for r in records if r["event"] == "slo_evaluation_failed"]
    assert len(failed) == 2 * lines  # two cycles
    if lines == 1:
        assert failed[0]["slos"] == 31
        assert failed[0]["first"] == ["checkout-availability", *(f"svc-{i:02d}" for i in range(4))]
        assert "500" in failed[0]["error"]
