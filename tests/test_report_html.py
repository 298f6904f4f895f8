"""The report's HTML in a real headless Chromium, and its Markdown, on a real Prometheus.

Chromium and chromedriver come from Debian (``make browser``); the page is opened from a
file, as from an email attachment. A screenshot of each run is kept under
``tests/artifacts/`` (not committed) for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from history import DAY
from selenium import webdriver
from selenium.webdriver.common.by import By
from test_report_against_backends import report, write_report_config

ARTIFACTS = Path(__file__).parent / "artifacts"
SLOS = ("checkout-availability", "checkout-latency", "quiet-availability")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1000,1400",
)


@pytest.fixture(scope="module")
def written(prometheus, tmp_path_factory):
    """The same three days as HTML, Markdown and JSON files, from Prometheus."""
    now, out = prometheus.now, tmp_path_factory.mktemp("written")
    config = write_report_config(out, prometheus.url, now)
    files = {}
    for fmt in ("html", "md", "json"):
        path = out / f"report.{fmt}"
        args = ["--from", str(now - 3 * DAY), "--to", str(now), "--format", fmt, "-o", str(path)]
        for name in SLOS:
            args += ["--slo", name]
        code, stdout, err = report(config, *args)
        assert (code, stdout) == (0, ""), err
        files[fmt] = path
    return files


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium through chromedriver, with a fresh profile; its console log kept."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.fail("chromium and chromium-driver are not installed: run `make browser`")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver)
    session = webdriver.Chrome(options=options, service=service)
    try:
        yield session
    finally:
        session.quit()


def test_html_is_self_contained(written):
    """No script, external stylesheet, font, image or link to fetch: it opens offline."""
    text = written["html"].read_text()
    for pattern in (r"<script", r"\bsrc=", r"<link\b", r"@import", r"url\(", r"@font-face"):
        assert re.search(pattern, text, re.IGNORECASE) is None, pattern


def test_html_loads_in_chromium_with_every_chart_drawn(written, browser):
    """The page loads without console errors; each SLO has its burn-down, daily SLI and
    incident timeline drawn with one mark per day and per incident; a screenshot is kept."""
    document = json.loads(written["json"].read_text())
    browser.get(written["html"].as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    sections = browser.find_elements(By.CSS_SELECTOR, "section.slo")
    assert len(sections) == len(document["slos"])
    for section, slo in zip(sections, document["slos"], strict=True):
        charts = {
            c.get_attribute("data-chart"): c for c in section.find_elements(By.CSS_SELECTOR, "svg")
        }
        assert set(charts) == {"burn-down", "daily-sli", "incident-timeline"}, slo["name"]
        for chart in charts.values():
            assert chart.size["width"] > 300
            assert chart.size["height"] > 50
        days_with_traffic = sum(1 for d in slo["daily"] if d["sli"] is not None)
        bars = charts["daily-sli"].find_elements(By.CSS_SELECTOR, "rect")
        assert len(bars) == days_with_traffic, slo["name"]
        bands = charts["incident-timeline"].find_elements(By.CSS_SELECTOR, "rect.incident")
        assert len(bands) == len(slo["incidents"]), slo["name"]
        line = charts["burn-down"].find_element(By.CSS_SELECTOR, "polyline")
        points = line.get_attribute("points") or ""
        assert len(points.split()) == 1 + sum(
            1 for d in slo["daily"] if d["budget_remaining_ratio"] is not None
        )
    ARTIFACTS.mkdir(exist_ok=True)
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1000, min(int(height) + 100, 12000))
    assert browser.save_screenshot(str(ARTIFACTS / "report.png"))


def test_markdown_has_the_reviews_figures_and_incidents(written):
    """The Markdown carries the review blocks, each SLO's figures and its incidents."""
    text = written["md"].read_text()
    document = json.loads(written["json"].read_text())
    assert "### Service: checkout" in text
    for slo in document["slos"]:
        assert f"## {slo['name']} ({slo['service']})" in text
        for incident in slo["incidents"][:3]:
            assert f"| {incident['start']} | {incident['end']} |" in text
    assert "| day | SLI | budget remaining |" in text
