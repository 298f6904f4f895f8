"""The status page in a real headless Chromium, served by the daemon on the test
Prometheus with a history store (so the daily series, sparklines and burn-down exist).

Chromium and chromedriver come from Debian (``make browser``); the browser fixture is
test_report_html.py's. Screenshots are kept under ``tests/artifacts/`` (not committed).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from incremental_truth import write_store_config
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from served_app import serve_with_filled_store
from test_report_html import ARTIFACTS, browser  # noqa: F401 (the fixture)

from exporter.config.loader import load_config

pytestmark = pytest.mark.integration


def errors(session) -> list[dict]:
    """The console's errors since the last call."""
    return [e for e in session.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def services(session) -> list[str]:
    """The service column of the listed SLOs."""
    rows = session.find_elements(By.CSS_SELECTOR, "tr.slo td:nth-child(2)")
    return [r.text for r in rows]


def drive(session, base: str, shots: str = "status-page") -> None:
    """Load /, filter by service with the form, open an SLO page: no console errors;
    screenshots ``shots``.png and ``shots``-slo.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    session.get(base + "/")
    assert errors(session) == []
    everything = services(session)
    assert {"checkout", "search"} <= set(everything)
    assert session.find_elements(By.CSS_SELECTOR, "tr.slo svg.chart polyline")
    session.save_screenshot(str(ARTIFACTS / f"{shots}.png"))
    Select(session.find_element(By.ID, "f-service")).select_by_value("checkout")
    session.find_element(By.ID, "f-apply").click()
    WebDriverWait(session, 10).until(lambda s: "service=checkout" in s.current_url)
    chosen = services(session)
    assert chosen == [s for s in everything if s == "checkout"]
    assert errors(session) == []
    session.get(base + "/slo/checkout-availability")
    line = session.find_element(By.CSS_SELECTOR, "#burn-down svg polyline")
    assert len(line.get_attribute("points").split()) >= 2
    assert line.size["width"] > 100
    assert errors(session) == []
    session.save_screenshot(str(ARTIFACTS / f"{shots}-slo.png"))


async def test_status_page_works_in_chromium(prometheus, tmp_path: Path, aiohttp_client, browser):  # noqa: F811
    """The page loads without console errors and with sparklines, the service filter
    submitted through the form keeps that service's SLOs only, and an SLO's page draws
    its burn-down from the store's daily series."""
    settings = load_config(write_store_config(tmp_path, prometheus.url))
    _, client = await serve_with_filled_store(aiohttp_client, settings, tmp_path / "data")
    base = str(client.make_url("")).rstrip("/")
    await asyncio.to_thread(drive, browser, base)
