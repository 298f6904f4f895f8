"""The store's count of counter resets (``slo_exporter_series_resets_total``) against the
generator's one reset: every instance-"b" checkout series restarts at ``reset_at``.

The store follows each selector's raw series from one cycle to the next; a cycle just
before the reset and one at the first sample after it must see exactly one reset per
followed series that restarts, and none before.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
from history import STEP
from pipelines import pipeline, stored
from truth import not_5xx

from exporter.config.loader import load_config
from exporter.pipeline.stored import HistoryKeeper
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.sources.promql import PromQLSource
from exporter.store.history import HistoryStore

CONFIG = """\
backend:
  url: {url}
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    sli:
      ratio:
        good: http_requests_total{{service="checkout",code!~"5.."}}
        total: http_requests_total{{service="checkout"}}
"""


async def test_the_store_counts_each_followed_series_reset_once(prometheus, tmp_path: Path):
    """Cycles one step apart across ``reset_at``: no reset before it; after it, one for
    each instance-"b" series each selector follows (the generator's series list). The
    store's selector and series counts (``slo_exporter_store_selectors`` and
    ``slo_exporter_store_series``) are the two selectors and the series they match."""
    history = prometheus.history
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url=prometheus.url))
    settings = load_config(path)
    restarting = {
        code: len(
            history.select(
                "http_requests_total", {"service": "checkout", "instance": "b", "code": code}
            )
        )
        for code in ("200", "404", "500", "503")
    }
    # the good selector follows the 200 and 404 series, the total one all four
    expected = restarting["200"] + restarting["404"] + sum(restarting.values())
    assert expected > 0
    keeper = HistoryKeeper(HistoryStore.open(tmp_path / "data"))
    seen = []
    try:
        async with aiohttp.ClientSession() as session:
            source = PromQLSource(QueryGate(PromQLClient(session, settings.backend), 4))
            for at in (history.reset_at - 2 * STEP, history.reset_at - STEP, history.reset_at):
                run = await pipeline(settings.slos, [stored(keeper, source, source)]).evaluate(at)
                assert not run.failures
                seen.append(keeper.progress.resets)
        stats = keeper.store.stats()
    finally:
        keeper.store.close()
    assert seen == [0, 0, expected]
    good = history.select("http_requests_total", {"service": "checkout", "code": not_5xx})
    total = history.select("http_requests_total", {"service": "checkout"})
    assert (stats.selectors, stats.series) == (2, len(good) + len(total))
