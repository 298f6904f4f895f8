"""Finding a grouped SLO's groups cheaply, on each real backend, against the generator.

The whole 7-day period is read once an hour; in between, a query over the time since the
last discovery adds the groups that started. ``/new`` has traffic from two hours ago on
and ``/legacy`` none for the last seven days and an hour (``tests/history.py``).
"""

from __future__ import annotations

import aiohttp
import pytest
from history import API_ROUTES
from truth import DAY, route_truth, write_grouped_config

from exporter.config.loader import load_config
from exporter.pipeline.compiled import compile_slo
from exporter.pipeline.groups import OVERLAP, REDISCOVER, PromQLDiscovery
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.samples import QueryTally

HOUR = 3600


def _truth(backend, at: float) -> set[tuple[str, ...]]:
    """The routes whose total had events in the 7-day period ending at ``at``."""
    history = backend.history
    return {(r,) for r in API_ROUTES if route_truth(r).total(history, at, 7 * DAY) > 0}


async def _discover(backend, tmp_path, times: list[float], rediscover: float = REDISCOVER):
    """The groups found at each of ``times`` by one discovery, and the queries sent."""
    settings = load_config(write_grouped_config(tmp_path, backend.url))
    (slo,) = [compile_slo(s) for s in settings.slos]
    found, queries = [], []
    async with aiohttp.ClientSession() as session:
        gate = QueryGate(PromQLClient(session, settings.backend), 2)
        discovery = PromQLDiscovery(gate, rediscover)
        for at in times:
            tally = QueryTally()
            found.append(await discovery.values(slo, at, tally))
            queries.append(tally.total)
    return found, queries


async def test_a_new_group_is_found_by_the_short_query(backend, tmp_path):
    """Before /new started the whole period finds no /new; an hour later (before the next
    whole-period read) the short query over the time since finds it: the groups equal
    the truth at both times (/legacy still in the period), one query each."""
    first, second = backend.now - 2 * HOUR - 30 * 60, backend.now - HOUR - 30 * 60
    found, queries = await _discover(backend, tmp_path, [first, second], rediscover=4 * HOUR)
    assert ("/new",) not in found[0]
    assert found == [_truth(backend, first), _truth(backend, second)]
    assert queries == [1, 1]


async def test_a_gone_group_leaves_at_the_next_whole_period_read(backend, tmp_path):
    """/legacy had events in the period a day ago, not now: the short reads keep it (at
    most an hour), the next whole-period read drops it, matching the truth then."""
    start = backend.now - DAY
    times = [start, start + 30 * 60, backend.now]
    found, _ = await _discover(backend, tmp_path, times)
    assert ("/legacy",) in found[0]
    assert ("/legacy",) in found[1]  # 30 minutes later: no whole-period read yet
    assert found[0] == _truth(backend, start)
    assert found[2] == _truth(backend, backend.now)
    assert ("/legacy",) not in found[2]


@pytest.mark.parametrize("back", [0, 60])
async def test_an_earlier_or_equal_time_reads_the_whole_period(backend, tmp_path, back):
    """``eval --at`` and a repeated T are never answered from a later discovery."""
    now = backend.now
    found, queries = await _discover(backend, tmp_path, [now, now - back])
    assert found[1] == _truth(backend, now - back)
    assert queries == [1, 1]
    assert OVERLAP < REDISCOVER


async def test_between_whole_period_reads_a_gone_group_stays_at_most_an_hour(backend, tmp_path):
    """The cost of the short reads, as a user sees it: /legacy leaves the period at
    now - 1h; read whole at now - 90m and briefly at now - 40m, it is still listed then
    (the truth no longer has it), and gone at the next whole read, an hour after the first."""
    times = [backend.now - 90 * 60, backend.now - 40 * 60, backend.now - 30 * 60]
    found, _ = await _discover(backend, tmp_path, times)
    assert ("/legacy",) not in _truth(backend, times[1])
    assert ("/legacy",) in found[1]
    assert ("/legacy",) not in found[2]
