"""The status page (``/`` and ``/slo/{name}``) in-process, with the fault backend.

The fake backend answers every window with the same counts per SLO, so each SLO's
status is known in advance (as in test_api_slos.py): a burns half its budget
(healthy), b none (healthy), c twice it (exhausted). Rows are read back from the HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fake_backend import FakeBackend
from served_app import get_text, serve

from exporter.app import DAEMON
from exporter.store.history import HistoryStore

SLO = """\
  - name: {name}
    service: {service}
    objective: 99
    labels: {labels}
    sli:
      ratio:
        good: {name}_good
        total: {name}_total
"""
HOSTILE = """\
  - name: h
    service: "check<i>out"
    objective: 99
    labels: {team: '<b>"pay"</b>'}
    runbook_url: "https://wiki.example/run?x=\\"><script>"
    dashboard_url: "https://grafana.example/d?a=1&b=<x>"
    sli:
      ratio:
        good: h_good
        total: h_total
"""
GOOD = {"a": 995.0, "b": 1000.0, "c": 980.0, "h": 1000.0}


def config_text(url: str, slos: list[tuple[str, str, str]], extra: str = "") -> str:
    """A config of ``slos`` (name, service, labels) on the backend at ``url``.

    The fake backend answers at once; the timeout is generous so that a loaded machine
    (the whole suite on two cores) never turns a slow first cycle into a failed one.
    """
    body = "".join(SLO.format(name=n, service=s, labels=labels) for n, s, labels in slos)
    return f"backend:\n  url: {url}\n  timeout: 10s\nslos:\n{body}{extra}"


THREE = [("a", "checkout", "{team: pay, tier: '1'}"), ("b", "search", "{team: find}"),
         ("c", "checkout", "{team: pay}")]  # fmt: skip


def answer(query: str, at: float) -> float:
    """The counts of the SLO whose metric the query reads (1,000 events in every window)."""
    name = re.search(r"\b(\w+)_(good|total)\b", query)
    assert name is not None, query
    good = GOOD[name.group(1)]
    return good if name.group(2) == "good" else 1000.0


@pytest.fixture
def config_file(tmp_path: Path, fake_backend: FakeBackend) -> Path:
    fake_backend.default = answer
    path = tmp_path / "slos.yaml"
    path.write_text(config_text(fake_backend.url, THREE, HOSTILE))
    return path


def names(html: str) -> list[str]:
    """The SLOs listed in the table, in their order."""
    return re.findall(r'<tr class="slo"><td><a href="/slo/[^"]*">([^<]*)</a>', html)


async def test_overview_lists_every_slo_with_status_budget_and_links(aiohttp_client, config_file):
    """Every SLO with its service, labels, status, budget bar, burn rates; the summary
    line counts statuses; the landing page's links, version and SLO count are there."""
    _, client = await serve(aiohttp_client, config_file)
    status, html = await get_text(client, "/")
    assert status == 200
    assert names(html) == ["a", "b", "c", "h"]
    assert (
        "3 healthy / 0 attention / 0 warning / 0 critical / 1 exhausted / 0 no data / 0 unknown"
        in html
    )
    for href in ("/metrics", "/healthz", "/readyz", "/api/v1/openapi.json"):
        assert f'href="{href}"' in html
    assert "4 SLOs in the config" in html
    assert "50.00%" in html
    assert "-100.00%" in html
    assert "no history store (run with --data-dir)" in html
    assert "<script" not in html.lower()
    assert "http://" not in html.split("</nav>")[1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["a", "b", "c", "h"]),
        ("service=checkout", ["a", "c"]),
        ("service=&label=&status=&sort=name", ["a", "b", "c", "h"]),
        ("label=team:pay", ["a", "c"]),
        ("label=+tier:1+", ["a"]),
        ("status=exhausted", ["c"]),
        ("status=critical", []),
        ("sort=budget", ["c", "a", "b", "h"]),
        ("sort=-budget", ["b", "h", "a", "c"]),
        ("service=checkout&sort=-budget&status=", ["a", "c"]),
    ],
)
async def test_overview_filters_as_a_plain_get_form(aiohttp_client, config_file, query, expected):
    """The form's fields (empty ones meaning "any") keep the SLOs the API would."""
    _, client = await serve(aiohttp_client, config_file)
    status, html = await get_text(client, f"/?{query}")
    assert status == 200
    assert names(html) == expected
    if not expected:
        assert "No SLO matches these filters." in html


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/?label=team", 400, "parameter 'label' must be key:value; got 'team'"),
        ("/?status=great", 400, "parameter 'status' must be one of healthy,"),
        ("/?sort=up", 400, "parameter 'sort' must be one of name, budget, -budget"),
        ("/?page=0", 400, "parameter 'page' must be a whole number from 1; got '0'"),
        ("/?servce=x", 400, "unknown parameter 'servce'"),
        ("/slo/nope", 404, "no SLO of the config is named 'nope'"),
        ("/slo/a%0Ab", 404, "no SLO of the config is named"),
    ],
)
async def test_page_refuses_bad_requests_in_one_line(
    aiohttp_client, config_file, url, status, message
):
    """A bad filter is a 400 and an unknown SLO a 404, each one line of text."""
    _, client = await serve(aiohttp_client, config_file)
    got, text = await get_text(client, url)
    assert got == status
    assert message in text
    assert text.count("\n") == 1


async def test_config_strings_are_escaped(aiohttp_client, config_file):
    """Service, labels and URLs from the config appear as text, never as markup."""
    _, client = await serve(aiohttp_client, config_file)
    for url in ("/", "/slo/h", "/?service=check%3Ci%3Eout"):
        _, html = await get_text(client, url)
        for markup in ("<i>", "<b>", "<script>"):
            assert markup not in html, url
        assert "check&lt;i&gt;out" in html, url
    _, html = await get_text(client, "/slo/h")
    assert "&lt;b&gt;&quot;pay&quot;&lt;/b&gt;" in html
    assert 'href="https://wiki.example/run?x=&quot;&gt;&lt;script&gt;"' in html
    assert 'href="https://grafana.example/d?a=1&amp;b=&lt;x&gt;"' in html


async def test_slo_page_has_windows_alerts_and_a_decision_per_risk(aiohttp_client, config_file):
    """The SLO page lists its windows, its alert conditions and the gate's answer for
    each risk, and says why there is no burn-down (no history store)."""
    _, client = await serve(aiohttp_client, config_file)
    status, html = await get_text(client, "/slo/c")
    assert status == 200
    windows = re.search(r'<table id="windows">.*?</table>', html)
    assert windows is not None
    assert "98.00%" in windows.group(0)
    assert re.search(r'<table id="alerts">.*<strong>firing</strong>', html)
    decisions = re.findall(r"<tr><td>(low|medium|high)</td><td>(\w+)</td>", html)
    assert [r for r, _ in decisions] == ["low", "medium", "high"]
    assert {d for _, d in decisions} <= {"approve", "review", "defer", "block"}
    assert "No burn-down: no history store (run with --data-dir)." in html


async def test_before_the_first_cycle_the_page_says_so(aiohttp_client, config_file, fake_backend):
    """A backend that never answers: the page says no cycle has finished and every SLO
    is unknown, with no numbers."""
    fake_backend.mode = "hang"
    _, client = await serve(aiohttp_client, config_file, cycles=0)
    _, html = await get_text(client, "/")
    assert "No evaluation cycle has finished yet" in html
    assert (
        "0 healthy / 0 attention / 0 warning / 0 critical / 0 exhausted / 0 no data / 4 unknown"
        in html
    )
    _, html = await get_text(client, "/slo/a")
    assert "No window has been evaluated yet." in html
    assert "No release decision before the first evaluation cycle." in html


async def test_backend_down_is_said_with_the_reason(aiohttp_client, config_file, fake_backend):
    """A backend answering 500: the page says it was unreachable and each SLO why it failed."""
    fake_backend.mode = "http500"
    _, client = await serve(aiohttp_client, config_file)
    _, html = await get_text(client, "/")
    assert "The backend failed in the last cycle" in html
    assert "500" in html.split("<tbody>")[1]


async def test_many_slos_come_a_hundred_a_page(aiohttp_client, tmp_path, fake_backend):
    """Pages of 100 SLOs with next and previous links that keep the filters; the last
    page holds the rest and the summary counts every SLO."""
    fake_backend.default = lambda query, at: 1000.0
    slos = [(f"s{i:05d}", "svc" if i % 2 else "other", "{}") for i in range(1_050)]
    path = tmp_path / "slos.yaml"
    path.write_text(config_text(fake_backend.url, slos))
    _, client = await serve(aiohttp_client, path, seconds=60.0)
    _, html = await get_text(client, "/?service=svc&page=2")
    assert names(html) == [f"s{i:05d}" for i in range(201, 401, 2)]
    assert "page 2 of 6" in html
    assert 'href="/?service=svc&amp;page=3" rel="next"' in html
    assert 'href="/?service=svc&amp;page=1" rel="prev"' in html
    assert "1050 healthy / 0 attention" in html
    _, html = await get_text(client, "/?page=11")
    assert names(html)[-1] == "s01049"
    assert "page 11 of 11" in html


async def test_a_filling_store_is_said(aiohttp_client, tmp_path, config_file):
    """With a history store that does not cover the period yet, the daemon is ready after
    its first cycle (the SLOs counted directly), the page says the store is still filling,
    and an SLO's page says why it has no burn-down."""
    app, client = await serve(
        aiohttp_client, config_file, store=HistoryStore.open(tmp_path / "data")
    )
    assert app[DAEMON].ready
    assert app[DAEMON].store_filling
    _, html = await get_text(client, "/")
    assert "The history store is still filling" in html
    _, html = await get_text(client, "/slo/a")
    assert "No burn-down: " in html


@pytest.mark.parametrize("url", ["/", "/slo/a", "/?status=exhausted"])
async def test_pages_fetch_nothing_from_elsewhere(aiohttp_client, config_file, url):
    """No script, external stylesheet, font or image: the page works air-gapped."""
    _, client = await serve(aiohttp_client, config_file)
    _, html = await get_text(client, url)
    for pattern in (r"<script", r"\bsrc=", r"@import", r"url\(", r"@font-face", r"https?://"):
        assert re.search(pattern, html.split("<h1>")[1], re.IGNORECASE) is None, pattern
