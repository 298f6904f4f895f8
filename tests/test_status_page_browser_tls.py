"""The status page in a real headless Chromium over TLS behind basic auth: the daemon
serves under a ``--web.config.file`` (the test CA's certificate and one bcrypt user),
on the test Prometheus with a history store, as test_status_page_browser.py does over
plain HTTP.

Chromium is told to accept exactly the server certificate's public key
(``--ignore-certificate-errors-spki-list``), not every certificate; the credentials go in
an ``Authorization`` header set through the DevTools protocol, so every request of the
page carries them. Without them the page is a 401. Screenshots
``status-page-tls*.png`` are kept under ``tests/artifacts/``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from incremental_truth import write_store_config
from selenium import webdriver
from selenium.webdriver.common.by import By
from test_report_html import ARTIFACTS, CHROMIUM_FLAGS
from test_status_page_browser import drive, errors
from web_certs import Authority, bcrypt_hash, write_web_config

from exporter.app import DAEMON, create_app
from exporter.config.loader import load_config
from exporter.store.history import HistoryStore
from exporter.web_config import load_web_config
from exporter.web_security import WebSecurity

pytestmark = pytest.mark.integration

USER, PASSWORD = "viewer", "look-but-do-not-touch"


def spki_hash(cert_file: Path) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)): how Chromium names a key it should accept."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def chromium(profile: Path, spki: str) -> webdriver.Chrome:
    """Headless Chromium that accepts the certificate with that key and no other."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--ignore-certificate-errors-spki-list={spki}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def drive_with_login(session: webdriver.Chrome, base: str) -> None:
    """A 401 without credentials (Chromium shows an empty page and logs the status);
    with them (a header on every request) the whole walk of test_status_page_browser.py:
    no console errors, the filter, the drawn chart."""
    session.get(base + "/")
    assert session.current_url.startswith("https://")
    refused = session.get_log("browser")
    assert not session.find_elements(By.CSS_SELECTOR, "tr.slo")
    assert session.title != "slo-exporter"
    assert any("401" in e["message"] for e in refused), refused
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    session.execute_cdp_cmd("Network.enable", {})
    session.execute_cdp_cmd(
        "Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}}
    )
    drive(session, base, shots="status-page-tls")
    assert session.current_url.startswith("https://")
    assert errors(session) == []


async def test_status_page_works_in_chromium_over_tls_with_basic_auth(
    prometheus, tmp_path: Path, aiohttp_server
):
    """Over HTTPS with the test CA's certificate and behind basic auth, the page answers
    401 without credentials; with them it loads without console errors, the service
    filter works and an SLO's page draws its burn-down."""
    ca = Authority(tmp_path)
    server_pair = ca.issue("server", server=True)
    web_file = write_web_config(tmp_path / "web.yml", server_pair, USER, bcrypt_hash(PASSWORD))
    security = WebSecurity(web_file, load_web_config(web_file))
    settings = load_config(write_store_config(tmp_path, prometheus.url))
    app = create_app(settings, store=HistoryStore.open(tmp_path / "data"), web_security=security)
    server = await aiohttp_server(app, ssl=security.tls)
    for _ in range(1200):
        if app[DAEMON].ready:
            break
        await asyncio.sleep(0.1)
    assert app[DAEMON].ready
    ARTIFACTS.mkdir(exist_ok=True)
    session = await asyncio.to_thread(chromium, tmp_path / "profile", spki_hash(server_pair.cert))
    try:
        base = f"https://127.0.0.1:{server.port}"
        await asyncio.to_thread(drive_with_login, session, base)
    finally:
        await asyncio.to_thread(session.quit)
