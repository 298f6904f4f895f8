"""Grouped and composite SLOs with ``source: scrape``, counted exactly.

The demo service counts ``http_requests_total{code}``; grouped by ``code``, each code is an
SLO whose events must be exactly what the service counted for that code after the first
scrape (the baseline), like any scraped SLO (``test_scrape_daemon.py``). A composite of
two scraped SLOs adds their events.
"""

from __future__ import annotations

import pytest
from metrics_text import one, parse, pick
from scraped_demo import Clock, scraping_daemon

SLOS = """\
  - name: demo-availability
    service: demo
    objective: 99
    period: 1d
    group_by: [code]
    sli:
      ratio:
        good: http_requests_total{code!~"5.."}
        total: http_requests_total
  - name: demo-served
    service: demo
    objective: 99
    period: 1d
    sli:
      ratio:
        bad: http_requests_total{code=~"5.."}
        total: http_requests_total
  - name: demo-found
    service: demo
    objective: 99
    period: 1d
    sli:
      ratio:
        bad: http_requests_total{code="404"}
        total: http_requests_total
  - name: demo-journey
    service: demo
    objective: 99
    period: 1d
    composite:
      objectives: [{slo: demo-served}, {slo: demo-found}]
"""
T0 = 1_800_000_000


def per_code(service) -> dict[str, float]:
    get = service.registry.get_sample_value
    return {c: get("http_requests_total", {"code": c}) or 0.0 for c in ("200", "404", "500", "503")}


@pytest.fixture
async def daemon_and_service(tmp_path):
    clock = Clock(float(T0))
    async with scraping_daemon(SLOS, tmp_path / "history", clock) as (service, daemon, _):
        yield daemon, service, clock


async def test_each_scraped_code_is_a_group_with_its_own_events(daemon_and_service):
    """Every code the service exposes is a group; its 5m events are the service's own
    count of that code since the baseline, all good for 2xx/4xx and all bad for 5xx."""
    daemon, service, clock = daemon_and_service
    service.serve(200)
    await daemon.evaluate_once(at=T0)
    before = per_code(service)
    service.serve(1000)
    service.start_incident(error_rate=0.3, seconds=3600, slow=1.0)
    service.serve(1000)
    clock.now = T0 + 60
    run = await daemon.evaluate_once(at=T0 + 60)
    assert not run.failures
    after = per_code(service)
    samples = parse(daemon.exposition.decode())
    codes = {dict(k)["code"] for k in pick(samples, "slo_data_ok", slo="demo-availability")}
    assert codes == set(after)
    for code in codes:
        events = after[code] - before[code]
        total = one(samples, "slo_window_events", slo="demo-availability", code=code, window="5m")
        good = one(
            samples, "slo_window_good_events", slo="demo-availability", code=code, window="5m"
        )
        assert total == events
        assert good == (0.0 if code.startswith("5") else events)


async def test_a_composite_of_scraped_slos_adds_their_events(daemon_and_service):
    """The events composite's 5m window holds both components' requests and bad ones."""
    daemon, service, clock = daemon_and_service
    service.serve(100)
    await daemon.evaluate_once(at=T0)
    before = per_code(service)
    service.start_incident(error_rate=0.3, seconds=3600, slow=1.0)
    service.serve(1000)
    clock.now = T0 + 60
    run = await daemon.evaluate_once(at=T0 + 60)
    assert not run.failures
    after = per_code(service)
    delta = {code: after[code] - before[code] for code in after}
    total = sum(delta.values())
    bad = delta["500"] + delta["503"] + delta["404"]
    samples = parse(daemon.exposition.decode())
    assert one(samples, "slo_window_events", slo="demo-journey", window="5m") == 2 * total
    good = one(samples, "slo_window_good_events", slo="demo-journey", window="5m")
    assert good == 2 * total - bad
