"""Raw series values of ``history.py`` as an instant selector would return them.

For the fakes of the store-backed tests: a backend that lost its history
and a source without a range side both answer plain selectors from here.
"""

from __future__ import annotations

import re

from history import LOOKBACK, History, Series

from exporter.promql.selectors import MatchOp, Selector, parse_selector


def _matches(selector: Selector, series: Series) -> bool:
    if series.name != selector.name:
        return False
    for matcher in selector.matchers:
        value = series.labels.get(matcher.label, "")
        if matcher.op in (MatchOp.EQUAL, MatchOp.NOT_EQUAL):
            hit = value == matcher.value
        else:
            hit = re.fullmatch(matcher.value, value) is not None
        if hit == (matcher.op in (MatchOp.NOT_EQUAL, MatchOp.NOT_REGEX)):
            return False
    return True


class HistoryValues:
    """The latest raw value at or before a time (within the lookback) of every series."""

    def __init__(self, history: History) -> None:
        self.history = history
        self._values = {id(s): s.values() for s in history.series}

    def at(self, selector: str, t: float) -> list[tuple[dict[str, str], float]]:
        """``(labels, value)`` of each series ``selector`` matches, at ``t``."""
        parsed = parse_selector(selector)
        i = self.history.index_at_or_before(t)
        if i < 0 or t - self.history.timestamps[i] > LOOKBACK:
            return []
        return [
            ({"__name__": s.name, **s.labels}, float(self._values[id(s)][i]))
            for s in self.history.series
            if _matches(parsed, s)
        ]
