"""Can the SLOs of a ``source: scrape`` config be counted from scraped counters alone?

Without a backend the history store is the only way to windows, and it
counts counters only. :func:`check_scrapable` is the one entry point: it
adds a problem for every SLO (or selector) the store cannot count.
"""

from __future__ import annotations

from collections.abc import Sequence

from exporter.config.problems import Problem
from exporter.config.schema_slo import SLOConfig
from exporter.domain.model import SLI, SLO, CompositeSLI, LatencySLI, RatioSLI
from exporter.promql.selectors import parse_selector
from exporter.sources.matching import compile_selector
from exporter.store.streams import Refusal, refusal
from exporter.yaml_lines import YamlPath


def check_scrapable(
    configs: Sequence[SLOConfig], slos: Sequence[SLO], problems: list[Problem]
) -> None:
    """Each SLO must be countable from scraped counters alone: event counters, regexes we run.

    Whether the store can count an SLO is :func:`exporter.store.streams.refusal`'s
    answer (the store counter routes by the same function); without a backend
    it counts counters only: ratio (and completeness) and classic latency SLIs
    with occurrence budgeting. Their selectors must also be ones this process
    can match itself.
    """
    for index, (config, slo) in enumerate(zip(configs, slos, strict=True)):
        if isinstance(slo.sli, CompositeSLI):
            continue  # counted from its components, which are checked themselves
        at: YamlPath = ("slos", index, "sli", config.sli_kind)
        refused = refusal(slo, gauges=False)
        if refused is not None:
            problems.append(_problem(index, at, refused))
            continue
        for field, selector in _selectors(slo.sli):
            try:
                compile_selector(parse_selector(selector))
            except ValueError as err:
                problems.append(Problem((*at, field), str(err)))


def _problem(index: int, at: YamlPath, refused: Refusal) -> Problem:
    """The refusal where the config says it: the SLI kind, ``native`` or the budgeting."""
    if refused.part == "native":
        return Problem((*at, "native"), refused.reason)
    if refused.part == "method":
        path: YamlPath = ("slos", index, "budgeting", "method")
        return Problem(path, f"{refused.reason}; with 'source: scrape' use occurrences")
    return Problem(at, f"{refused.reason}; with 'source: scrape' use ratio or latency")


def _selectors(sli: SLI) -> list[tuple[str, str]]:
    """(config field, selector) of every selector a countable SLI reads."""
    if isinstance(sli, RatioSLI):
        pairs = [("good", sli.good), ("bad", sli.bad), ("total", sli.total)]
        return [(field, text) for field, text in pairs if text is not None]
    if isinstance(sli, LatencySLI):
        return [("histogram", sli.histogram)]
    return []
