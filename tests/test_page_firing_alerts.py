"""How the overview shows an SLO's burn rates and firing alerts: each severity once with
the window pairs that fire it (in the API's summary and on the page), each burn rate
kept on one line."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fake_backend import FakeBackend, good_of
from one_slo import one_slo_config

from exporter.app import DAEMON, create_app
from exporter.config.loader import load_config


async def test_each_firing_severity_is_listed_once_with_its_window_pairs(
    aiohttp_client, tmp_path: Path, fake_backend: FakeBackend
):
    """At 10 % errors against a 99 % objective (burn rate 10 in every window) the
    workbook's conditions above 6, 3 and 1 fire: page once (6h/30m) and ticket once
    (1d/2h and 3d/6h), not one entry per condition."""
    fake_backend.default = good_of(900.0, 1000.0)
    path = tmp_path / "slos.yaml"
    path.write_text(one_slo_config(fake_backend.url))
    client = await aiohttp_client(create_app(load_config(path)))
    for _ in range(500):
        if client.server.app[DAEMON].cycles:
            break
        await asyncio.sleep(0.02)
    listed = (await (await client.get("/api/v1/slos")).json())["slos"][0]
    assert listed["firing_alerts"] == [
        {"severity": "page", "window_pairs": ["6h/30m"]},
        {"severity": "ticket", "window_pairs": ["1d/2h", "3d/6h"]},
    ]
    html = await (await client.get("/")).text()
    row = re.search(r'<tr class="slo">.*?</tr>', html)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(0))
    alerts = re.findall(r'<span class="nw">([^<]*)</span>', cells[6])
    assert alerts == ["page (6h/30m)", "ticket (1d/2h, 3d/6h)"]  # a line each
    burns = re.findall(r"<span>([^<]*)</span>", cells[5])
    assert burns == [f"{w}:&nbsp;10" for w in listed["burn_rates"]]
    assert re.search(r"\.burns\{display:grid[^}]*white-space:nowrap", html)
