"""``run --shard I/N``: N replicas split one config's SLOs between them, exactly."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from fake_backend import FakeBackend
from metrics_text import parse, pick

from exporter.app import DAEMON, create_app
from exporter.config.loader import load_config
from exporter.shard import Shard, parse_shard

NAMES = [f"service-{i}-availability" for i in range(400)] + ["checkout", "search", "ünïcode"]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 16])
def test_n_shards_partition_the_slos_exactly(count: int):
    """Every SLO name belongs to exactly one of the N shards; together they hold them all."""
    owners = {name: [i for i in range(count) if Shard(i, count).owns(name)] for name in NAMES}
    assert all(len(found) == 1 for found in owners.values())
    assert all(any(found == [i] for found in owners.values()) for i in range(count))


@pytest.mark.parametrize("name", ["checkout-availability", "search-latency", "ünïcode"])
def test_the_shard_is_sha256_of_the_name(name: str):
    """The documented rule, so every replica and every version agrees: the first 8 bytes
    of sha256(name), big-endian, modulo N."""
    expected = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % 7
    assert [i for i in range(7) if Shard(i, 7).owns(name)] == [expected]


@pytest.mark.parametrize(
    ("text", "shard"), [("0/1", Shard(0, 1)), ("2/3", Shard(2, 3)), (" 1 / 4 ", Shard(1, 4))]
)
def test_shard_flag_values(text: str, shard: Shard):
    """``I/N`` with 0 <= I < N."""
    assert parse_shard(text) == shard


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize("text", ["3/3", "-1/3", "1", "a/b", "0/0", "1/2/3"])
def test_bad_shard_flags_are_usage_errors(text: str):
    """Anything but I/N with 0 <= I < N exits 2 with the usage message."""
    result = subprocess.run(
        [sys.executable, "-m", "exporter", "run", "-c", "x.yaml", "--shard", text],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "--shard" in result.stderr


CONFIG = """\
backend:
  url: {url}
evaluation:
  interval: 60s
slos:
""" + "".join(
    f"""\
  - name: slo-{i}
    service: s{i}
    objective: 99
    sli:
      ratio:
        good: requests_total{{{{code="200",n="{i}"}}}}
        total: requests_total{{{{n="{i}"}}}}
"""
    for i in range(8)
)


async def test_replicas_expose_disjoint_slos_covering_the_config(
    tmp_path: Path, fake_backend: FakeBackend, aiohttp_client
):
    """Three replicas of one config serve every SLO once between them, each with its
    shard on slo_exporter_shard_info."""
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url=fake_backend.url))
    seen: list[str] = []
    for index in range(3):
        app = create_app(load_config(path), shard=Shard(index, 3))
        client = await aiohttp_client(app)
        for _ in range(300):
            if app[DAEMON].cycles:
                break
            await asyncio.sleep(0.02)
        samples = parse(await (await client.get("/metrics")).text())
        names = [dict(k)["slo"] for k in pick(samples, "slo_objective_ratio")]
        assert pick(samples, "slo_exporter_shard_info") == {
            frozenset({("index", str(index)), ("count", "3")}): 1.0
        }
        assert pick(samples, "slo_exporter_slos") == {frozenset(): float(len(names))}
        seen += names
        await client.close()
    assert sorted(seen) == [f"slo-{i}" for i in range(8)]
