"""A :class:`~exporter.samples.Snapshot` from the latest scrape of every target.

The selectors are compiled (:mod:`exporter.sources.matching`, PromQL's
rules), kept from one snapshot to the next by :class:`SelectorCache`, and
matched against each scrape's samples; every series a selector matches on
any target maps to its value. The snapshot is all targets or
nothing: a failed scrape raises its error, as a partial sum would
undercount the events. Its ``at`` is the start of the oldest scrape used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from exporter.promql.selectors import parse_selector
from exporter.samples import SeriesKey, Snapshot
from exporter.sources.failures import ScrapeSelectorError
from exporter.sources.matching import CompiledSelector, compile_selector, series_key
from exporter.sources.scraper import ScrapeResult

__all__ = ["SelectorCache", "assemble"]


class SelectorCache:
    """Selectors compiled once and reused for as long as each snapshot asks for them.

    It holds the selectors of the last snapshot only, so it never grows
    past one snapshot's worth when the config changes.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, CompiledSelector] = {}

    def compile(self, selectors: Sequence[str], at: float) -> dict[str, CompiledSelector]:
        """Each distinct selector, compiled; ScrapeSelectorError (carrying ``at``) for a bad one."""
        known = self._compiled
        compiled = {
            text: known[text] if text in known else _compile(text, at)
            for text in dict.fromkeys(selectors)
        }
        self._compiled = compiled
        return compiled


def _compile(text: str, at: float) -> CompiledSelector:
    try:
        return compile_selector(parse_selector(text))
    except ValueError as err:
        raise ScrapeSelectorError(
            f"selector {text!r} cannot be applied to scraped samples: {err}", query=text, at=at
        ) from None


def assemble(
    results: Sequence[ScrapeResult], compiled: Mapping[str, CompiledSelector], at: float
) -> Snapshot:
    """The value of every series each selector matches in ``results`` (one per target).

    Raises the failure of the first result that failed, with ``at`` on it.
    """
    for result in results:
        if result.failure is not None:
            raise result.failure.error(result.url, at)
    values: dict[str, dict[SeriesKey, float]] = {text: {} for text in compiled}
    for result in results:
        for text, selector in compiled.items():
            found = values[text]
            for sample in result.by_name.get(selector.selector.name, ()):
                if selector(sample.name, sample.labels):
                    found[series_key(sample.name, sample.labels.items())] = sample.value
    return Snapshot(at=min(r.started for r in results), values=values)
