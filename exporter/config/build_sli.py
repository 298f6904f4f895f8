"""An SLO's ``sli`` section as the domain :class:`~exporter.domain.model.SLI`.

Selectors get a ``label!~"regex"`` matcher for every excluded label; a
latency SLI without a threshold takes its tier's.
"""

from __future__ import annotations

from exporter.config.schema_sli import LatencyConfig, SLIConfig
from exporter.config.tiers import threshold_for
from exporter.domain.model import (
    SLI,
    BoolGaugeSLI,
    FreshnessSLI,
    LatencySLI,
    QuerySLI,
    RatioSLI,
    RawSLI,
    ThresholdSLI,
    ThroughputSLI,
)
from exporter.promql.selectors import MatchOp, parse_selector


def sli(config: SLIConfig, tier: str | None, exclude: dict[str, str]) -> SLI:
    """The domain SLI; selectors get the exclusions, a latency SLI the tier's threshold."""
    ratio = config.ratio or config.completeness
    if ratio is not None:
        return RatioSLI(
            total=_selector(ratio.total, exclude),
            good=excluding(ratio.good, exclude),
            bad=excluding(ratio.bad, exclude),
        )
    if config.latency is not None:
        return _latency(config.latency, tier, exclude)
    if config.bool_gauge is not None:
        return BoolGaugeSLI(_selector(config.bool_gauge.metric, exclude))
    return _judged(config, exclude)


def _latency(config: LatencyConfig, tier: str | None, exclude: dict[str, str]) -> LatencySLI:
    threshold = config.threshold
    if threshold is None:
        assert tier is not None  # the schema requires a threshold or a tier
        threshold = threshold_for(tier)
    return LatencySLI(_selector(config.histogram, exclude), threshold, config.native)


def _judged(config: SLIConfig, exclude: dict[str, str]) -> SLI:
    """The SLIs judged by a PromQL expression or per time slice."""
    if config.threshold is not None:
        t = config.threshold
        return ThresholdSLI(t.query, t.op, t.value)
    if config.raw is not None:
        return RawSLI(config.raw.query, failure=config.raw.type == "failure")
    if config.throughput is not None:
        return ThroughputSLI(_selector(config.throughput.counter, exclude), config.throughput.floor)
    if config.freshness is not None:
        return FreshnessSLI(
            _selector(config.freshness.timestamp, exclude), config.freshness.max_age
        )
    assert config.query is not None  # the schema requires exactly one kind
    return QuerySLI(total=config.query.total, good=config.query.good, bad=config.query.bad)


def excluding(selector: str | None, exclude: dict[str, str]) -> str | None:
    """``selector`` with ``label!~"regex"`` added for every excluded label."""
    if selector is None or not exclude:
        return selector
    parsed = parse_selector(selector)
    for label, regex in sorted(exclude.items()):
        parsed = parsed.with_matcher(label, MatchOp.NOT_REGEX, regex)
    return parsed.render()


def _selector(selector: str, exclude: dict[str, str]) -> str:
    result = excluding(selector, exclude)
    assert result is not None
    return result
