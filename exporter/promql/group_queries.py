"""The PromQL of grouped SLOs: finding the groups, and narrowing an SLI to one group.

A grouped SLO's groups are the label values of its *total* series that had
events in the period, found with one instant query per cycle::

    count by (route) (increase(http_requests_total{job="api"}[30d]) > 0)

(a native histogram's count instead of the increase, a 0/1 gauge's samples).
Each group is then an ordinary SLO whose selectors carry one more matcher per
group label, ``route="/cart"``, so every counter counts it unchanged. The
grouped counter (:mod:`exporter.pipeline.grouped`) counts all groups of an SLO
with one query pair per window instead, summed ``by (route)``
(:func:`grouped_window_queries`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from exporter.domain.durations import format_duration
from exporter.domain.model import SLI, BoolGaugeSLI, LatencySLI, RatioSLI
from exporter.promql.selectors import Matcher, MatchOp, parse_selector
from exporter.promql.sli_queries import INF_REGEX, WindowQueries, counter_selectors


def _narrowed(selector: str, group: Mapping[str, str]) -> str:
    """``selector`` with ``label="value"`` added for each group label (its own matchers kept)."""
    parsed = parse_selector(selector)
    added = tuple(Matcher(label, MatchOp.EQUAL, value) for label, value in group.items())
    return replace(parsed, matchers=(*parsed.matchers, *added)).render()


def group_sli(sli: SLI, group: Mapping[str, str]) -> SLI:
    """``sli`` counting only the events of ``group`` (a ratio, latency or bool_gauge SLI)."""
    match sli:
        case RatioSLI():
            return RatioSLI(
                total=_narrowed(sli.total, group),
                good=None if sli.good is None else _narrowed(sli.good, group),
                bad=None if sli.bad is None else _narrowed(sli.bad, group),
            )
        case LatencySLI():
            return replace(sli, histogram=_narrowed(sli.histogram, group))
        case BoolGaugeSLI():
            return BoolGaugeSLI(_narrowed(sli.metric, group))
        case _:
            raise TypeError(f"a {type(sli).__name__} cannot be grouped")


def discovery_query(sli: SLI, labels: tuple[str, ...], window: int) -> str:
    """One instant query whose series are the groups with events in the last ``window`` s."""
    by = f"count by ({', '.join(labels)}) "
    duration = format_duration(max(window, 1))
    match sli:
        case RatioSLI():
            return f"{by}(increase({parse_selector(sli.total).render()}[{duration}]) > 0)"
        case LatencySLI() if sli.native:
            counted = f"histogram_count(increase({parse_selector(sli.histogram).render()}"
            return f"{by}({counted}[{duration}])) > 0)"
        case LatencySLI():
            histogram = parse_selector(sli.histogram)
            total = histogram.with_name(histogram.name + "_bucket").with_matcher(
                "le", MatchOp.REGEX, INF_REGEX
            )
            return f"{by}(increase({total.render()}[{duration}]) > 0)"
        case BoolGaugeSLI():
            metric = parse_selector(sli.metric).render()
            return f"{by}(count_over_time({metric}[{max(window, 1) * 1000 - 1}ms]))"
        case _:
            raise TypeError(f"a {type(sli).__name__} cannot be grouped")


def _by(labels: tuple[str, ...]) -> str:
    return f"sum by ({', '.join(labels)}) "


def grouped_window_queries(sli: SLI, labels: tuple[str, ...], window: int) -> WindowQueries:
    """The window queries of every group of a grouped SLO at once: each sums ``by`` the
    group labels, so a group's sample is what its own query would return (a group
    without a sample had no series there). Occurrence counting only."""
    by, duration = _by(labels), format_duration(window)
    match sli:
        case LatencySLI() if sli.native:
            counted = f"{by}(increase({parse_selector(sli.histogram).render()}[{duration}]))"
            count = f"histogram_count({counted})"
            numerator = f"histogram_fraction(0, {sli.threshold!r}, {counted}) * {count}"
            return WindowQueries(numerator, count, counts_bad=False)
        case RatioSLI() | LatencySLI():
            selectors = counter_selectors(sli)
            return WindowQueries(
                f"{by}(increase({selectors.numerator.render()}[{duration}]))",
                f"{by}(increase({selectors.total.render()}[{duration}]))",
                selectors.counts_bad,
            )
        case BoolGaugeSLI():
            samples = f"{parse_selector(sli.metric).render()}[{window * 1000 - 1}ms]"
            return WindowQueries(
                f"{by}(sum_over_time({samples}))", f"{by}(count_over_time({samples}))", False
            )
        case _:
            raise TypeError(f"a {type(sli).__name__} cannot be grouped")
