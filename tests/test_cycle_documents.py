"""The API's SLO list and the status page are built once per cycle: repeated requests
within a cycle get the same bytes without a rebuild (counted by
``slo_exporter_slo_documents_builds_total``), and a new cycle or a reload changes them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from fake_backend import FakeBackend, good_of
from one_slo import one_slo_config

from exporter import cycle_documents
from exporter.app import DAEMON, create_app
from exporter.config.loader import load_config
from exporter.domain.decision import default_policy

SECOND = """\
  - name: search-availability
    service: search
    objective: 99.5
    sli:
      ratio:
        good: search_requests_total{code!~"5.."}
        total: search_requests_total
"""


async def builds(client) -> float:
    """The builds counter as /metrics shows it."""
    text = await (await client.get("/metrics")).text()
    line = next(
        x for x in text.splitlines() if x.startswith("slo_exporter_slo_documents_builds_total")
    )
    return float(line.split()[-1])


async def body(client, url: str) -> bytes:
    response = await client.get(url)
    assert response.status == 200
    return await response.read()


async def changed(client, url: str, old: bytes) -> bytes:
    """The answer once it is no longer ``old``: until the new cycle's is built, a request
    gets the last cycle's (the same bytes, not a mixture)."""
    for _ in range(500):
        new = await body(client, url)
        if new != old:
            return new
        await asyncio.sleep(0.02)
    raise AssertionError(f"{url} kept the last cycle's answer")


async def test_documents_are_built_once_per_cycle(
    aiohttp_client, tmp_path: Path, fake_backend: FakeBackend
):
    """Within a cycle, /api/v1/slos, / and /slo/{name} answer the same bytes twice and
    the list is built once; a new cycle (at a later T, with half the budget burnt) builds
    it again (requests meanwhile get the last cycle's bytes, never a wait) and shows the
    new numbers; a reload shows the new config's SLOs."""
    fake_backend.default = 1000.0
    path = tmp_path / "slos.yaml"
    path.write_text(one_slo_config(fake_backend.url, interval="1h"))
    app = create_app(load_config(path))
    client = await aiohttp_client(app)
    daemon = app[DAEMON]
    for _ in range(500):
        if daemon.cycles:
            break
        await asyncio.sleep(0.02)
    assert await builds(client) == 0  # nothing is built before someone asks
    urls = ["/api/v1/slos", "/", "/slo/checkout-availability", "/api/v1/slos/checkout-availability"]
    first = [await body(client, url) for url in urls]
    assert [await body(client, url) for url in urls] == first
    assert await builds(client) == 1
    listed = json.loads(first[0])
    at = listed["evaluated_at"]

    fake_backend.default = good_of(995.0, 1000.0)
    await daemon.evaluate_once(at + 3600)
    second = [await changed(client, url, old) for url, old in zip(urls, first, strict=True)]
    assert json.loads(second[0])["evaluated_at"] == at + 3600
    detail = json.loads(second[3])["slo"]
    assert {(w["good_events"], w["events"]) for w in detail["windows"]} == {(995.0, 1000.0)}
    assert detail["budget_remaining_ratio"] == 0.5  # 5 bad of the 10 allowed
    assert await builds(client) == 2

    path.write_text(path.read_text() + SECOND)
    assert await daemon.reload(path)
    for _ in range(500):
        names = [s["name"] for s in json.loads(await body(client, "/api/v1/slos"))["slos"]]
        if len(names) == 2:
            break
        await asyncio.sleep(0.02)
    assert names == ["checkout-availability", "search-availability"]
    assert b"search-availability" in await body(client, "/")
    assert await builds(client) >= 3  # the reload wakes the loop: maybe a cycle more


def test_a_snapshot_keeps_derived_texts_within_its_byte_bound(monkeypatch):
    """Texts derived from one snapshot are kept until they pass the byte bound; then the
    oldest go first and are built again when asked for."""
    monkeypatch.setattr(cycle_documents, "KEPT_BYTES", 25)
    snapshot = cycle_documents.Snapshot(
        (1, 1), {}, {}, {}, [], [], [], {}, None, default_policy(), []
    )
    built: list[str] = []

    def text(key: str) -> str:
        return snapshot.derive(key, lambda: built.append(key) or key * 10)

    assert [text("a"), text("a"), text("b")] == ["a" * 10, "a" * 10, "b" * 10]
    assert built == ["a", "b"]
    text("c")  # 30 bytes: "a" goes
    assert snapshot.kept_bytes == 20
    assert [text("b"), text("a")] == ["b" * 10, "a" * 10]
    assert built == ["a", "b", "c", "a"]
