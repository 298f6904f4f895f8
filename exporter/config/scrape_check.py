"""Can the SLOs of a ``source: scrape`` config be counted from scraped counters alone?

Without a backend the history store is the only way to windows, and it
counts counters only. :func:`check_scrapable` is the one entry point: it
adds a problem for every SLO (or selector) the store cannot count.
"""

from __future__ import annotations

from collections.abc import Sequence

from exporter.config.problems import Problem
from exporter.config.schema_slo import SLOConfig
from exporter.domain.model import (
    SLI,
    SLO,
    BoolGaugeSLI,
    FreshnessSLI,
    LatencySLI,
    RatioSLI,
    ThroughputSLI,
)
from exporter.promql.selectors import parse_selector
from exporter.sources.matching import compile_selector
from exporter.yaml_lines import YamlPath

_PROMQL = "is PromQL, which needs a backend"
_SCRAPE_UNSUPPORTED = {
    "query": f"a query SLI {_PROMQL}",
    "threshold": f"a threshold SLI {_PROMQL}",
    "raw": f"a raw SLI {_PROMQL}",
    "throughput": "a throughput SLI judges time slices with PromQL, which needs a backend",
    "freshness": "a freshness SLI judges time slices with PromQL, which needs a backend",
    "bool_gauge": "a bool_gauge SLI is counted with sum_over_time, which needs a backend",
}
"""SLI kinds the history store cannot count from scraped counters, and why."""


def check_scrapable(
    configs: Sequence[SLOConfig], slos: Sequence[SLO], problems: list[Problem]
) -> None:
    """Each SLO must be countable from scraped counters alone: event counters, regexes we run.

    Without a backend the history store is the only way to windows, and it
    counts counters only: ratio (and completeness) and classic latency SLIs
    with occurrence budgeting.
    """
    for index, (config, slo) in enumerate(zip(configs, slos, strict=True)):
        kind = config.sli.kind or ""
        at: YamlPath = ("slos", index, "sli", kind)
        sli = slo.sli
        why = _SCRAPE_UNSUPPORTED.get(kind)
        if why is not None:
            problems.append(Problem(at, f"{why}; with 'source: scrape' use ratio or latency"))
        elif isinstance(sli, LatencySLI) and sli.native:
            problems.append(
                Problem(
                    (*at, "native"),
                    "native histograms are not in the text formats a scrape reads; "
                    "use a classic histogram (its _bucket series)",
                )
            )
        elif slo.budgeting.sliced:
            problems.append(
                Problem(
                    ("slos", index, "budgeting", "method"),
                    f"{slo.budgeting.method.value} budgeting judges time slices with PromQL, "
                    "which needs a backend; with 'source: scrape' use occurrences",
                )
            )
        for field, selector in _selectors(sli):
            try:
                compile_selector(parse_selector(selector))
            except ValueError as err:
                problems.append(Problem((*at, field), str(err)))


def _selectors(sli: SLI) -> list[tuple[str, str]]:
    """(config field, selector) of every selector an SLI reads."""
    if isinstance(sli, RatioSLI):
        pairs = [("good", sli.good), ("bad", sli.bad), ("total", sli.total)]
        return [(field, text) for field, text in pairs if text is not None]
    if isinstance(sli, LatencySLI):
        return [("histogram", sli.histogram)]
    if isinstance(sli, BoolGaugeSLI):
        return [("metric", sli.metric)]
    if isinstance(sli, ThroughputSLI):
        return [("counter", sli.counter)]
    if isinstance(sli, FreshnessSLI):
        return [("timestamp", sli.timestamp)]
    return []
