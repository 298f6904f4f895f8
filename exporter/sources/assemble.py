"""A :class:`~exporter.samples.Snapshot` from the latest scrape of every target.

The selectors are compiled (:mod:`exporter.sources.matching`, PromQL's
rules), kept from one snapshot to the next by :class:`SelectorCache`, and
matched against each scrape's samples; every series a selector matches on
any target maps to its value. A target usually serves the same series in the
same order scrape after scrape, so which samples each selector matched is
remembered per target (:class:`_Matches`) while its series stay the same, and
a snapshot then only reads the new values (at 10,000 SLOs matching was a tenth
of a cycle, on the event loop). The snapshot is all targets or
nothing: a failed scrape raises its error, as a partial sum would
undercount the events. Its ``at`` is the start of the oldest scrape used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from exporter.promql.selectors import MatchOp, parse_selector
from exporter.samples import SeriesKey, Snapshot
from exporter.sources.failures import ScrapeSelectorError
from exporter.sources.matching import CompiledSelector, compile_selector, series_key
from exporter.sources.parse import Sample
from exporter.sources.scraper import ScrapeResult

__all__ = ["SelectorCache", "assemble"]


class SelectorCache:
    """Selectors compiled once and reused for as long as each snapshot asks for them.

    It holds the selectors of the last snapshot only, so it never grows
    past one snapshot's worth when the config changes.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, CompiledSelector] = {}
        self.matches: dict[str, _Matches] = {}
        """Per target URL: what each selector matched in its last scrape."""

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
    results: Sequence[ScrapeResult],
    compiled: Mapping[str, CompiledSelector],
    at: float,
    cache: SelectorCache | None = None,
) -> Snapshot:
    """The value of every series each selector matches in ``results`` (one per target);
    with ``cache``, matches are remembered there per target (see the module docstring).

    Raises the failure of the first result that failed, with ``at`` on it.
    """
    for result in results:
        if result.failure is not None:
            raise result.failure.error(result.url, at)
    values: dict[str, dict[SeriesKey, float]] = {text: {} for text in compiled}
    kept: dict[str, _Matches] = {}
    for result in results:
        last = None if cache is None else cache.matches.get(result.url)
        matches = _Matches.for_scrape(result, last)
        kept[result.url] = matches
        samples = result.samples
        for text, selector in compiled.items():
            found = values[text]
            for i, key in matches.matched(text, selector):
                found[key] = samples[i].value
    if cache is not None:
        cache.matches = kept
    return Snapshot(at=min(r.started for r in results), values=values)


_Layout = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
"""A scrape's series in order: name and labels of each sample."""


class _Matches:
    """Which samples of one target's scrape each selector matched, by their position in
    the scrape, and each one's series key; valid for every scrape with the same
    :attr:`layout` (the series in the same order)."""

    __slots__ = ("_candidates", "_found", "_result", "layout")

    def __init__(self, result: ScrapeResult, layout: _Layout) -> None:
        self.layout = layout
        self._result = result
        self._candidates: _Candidates | None = None
        self._found: dict[str, list[tuple[int, SeriesKey]]] = {}

    @classmethod
    def for_scrape(cls, result: ScrapeResult, last: _Matches | None) -> _Matches:
        """The matches for ``result``: ``last``'s when the target's series are the same."""
        layout = tuple((s.name, tuple(s.labels.items())) for s in result.samples)
        if last is not None and last.layout == layout:
            return last
        return cls(result, layout)

    def matched(self, text: str, selector: CompiledSelector) -> list[tuple[int, SeriesKey]]:
        """Positions and series keys of the samples ``selector`` (written ``text``) matches."""
        found = self._found.get(text)
        if found is None:
            if self._candidates is None:
                self._candidates = _Candidates(self._result)
            found = self._found[text] = [
                (self._candidates.position(sample), series_key(sample.name, sample.labels.items()))
                for sample in self._candidates.of(selector)
                if selector(sample.name, sample.labels)
            ]
        return found


class _Candidates:
    """The samples of one scrape a selector could match, found by its first ``label="v"``
    matcher (v not empty) in an index of the scrape's labels made when first needed.

    Only the samples holding that exact label value can match such a selector, so
    50,000 selectors against a target of 400 series check a few series each instead
    of every series of the metric (20 million checks a scrape before).
    """

    def __init__(self, result: ScrapeResult) -> None:
        self._samples = result.samples
        self._by_name = result.by_name
        self._index: dict[tuple[str, str, str], list[Sample]] | None = None
        self._positions: dict[int, int] | None = None

    def position(self, sample: Sample) -> int:
        """Where ``sample`` (one of this scrape's) is in the scrape."""
        if self._positions is None:
            self._positions = {id(s): i for i, s in enumerate(self._samples)}
        return self._positions[id(sample)]

    def of(self, selector: CompiledSelector) -> Sequence[Sample]:
        """The samples that may match ``selector``: every one it selects, and maybe more."""
        name = selector.selector.name
        for matcher in selector.selector.matchers:
            if matcher.op is MatchOp.EQUAL and matcher.value:
                return self._indexed().get((name, matcher.label, matcher.value), ())
        return self._by_name.get(name, ())

    def _indexed(self) -> dict[tuple[str, str, str], list[Sample]]:
        if self._index is None:
            self._index = {}
            for name, samples in self._by_name.items():
                for sample in samples:
                    for label, value in sample.labels.items():
                        self._index.setdefault((name, label, value), []).append(sample)
        return self._index
