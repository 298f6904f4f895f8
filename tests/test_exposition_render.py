"""The ``slo_*`` text exposition is exactly what prometheus-client would write.

``exposition.render`` formats the samples itself (for speed at thousands of
SLOs); prometheus-client's ``generate_latest`` over the same samples is the
oracle, byte for byte, for every SLO of the example configs in every state
(never evaluated, stale, without traffic, burning) and for label values that
need escaping.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from exporter import exposition
from exporter.config.loader import load_config
from exporter.domain.budget import WindowEvents
from exporter.domain.evaluate import evaluate_slo
from exporter.domain.model import SLO
from exporter.exposition import Served, _go_float
from exporter.pipeline.cycle import EvaluationRun
from exporter.serving import ServedSLOs

CONFIGS = Path(__file__).parent.parent / "config"
AT = 1_795_000_000


def described() -> dict[str, str]:
    """Every family the exposition describes (HELP and TYPE) with no SLO at all: name -> help."""
    text = exposition.render([]).decode()
    return {f.name: f.documentation for f in text_string_to_metric_families(text)}


class _Oracle(Collector):
    def __init__(self, entries: list[Served]) -> None:
        self._entries = entries

    def collect(self) -> Iterator[Metric]:
        families = {n: Metric(n, d, "gauge") for n, d in described().items()}
        for entry in self._entries:
            for name, key, value in exposition.samples(entry):
                if math.isfinite(value):
                    families[name].add_sample(name, exposition.labels_of(entry.slo, key), value)
        yield from families.values()


def oracle(entries: list[Served]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Oracle(entries))
    return generate_latest(registry)


def slos() -> list[SLO]:
    out: list[SLO] = []
    for name in ("example.yaml", "periods.yaml", "sli-kinds.yaml", "budget-adjustments.yaml"):
        out.extend(load_config(CONFIGS / name).slos)
    return out


def events(slo: SLO, good_share: float, total: float) -> dict[int, WindowEvents]:
    return {w: WindowEvents(good=total * good_share, total=total) for w in slo.windows_at(AT)}


def states(slo: SLO) -> list[Served]:
    return [
        Served(slo, None, fresh=False),
        Served(slo, evaluate_slo(slo, events(slo, 0.99995, 1e6), AT), True, AT + 2.5),
        Served(slo, evaluate_slo(slo, events(slo, 0.5, 12345.0), AT), False, AT - 600.0),
        Served(slo, evaluate_slo(slo, events(slo, 1.0, 0.0), AT), True, AT + 1.0),
    ]


@pytest.mark.parametrize("state", range(4), ids=["never", "healthy", "stale", "no-traffic"])
def test_render_equals_prometheus_client(state: int):
    """Every example SLO in each state renders to generate_latest's bytes."""
    entries = [states(slo)[state] for slo in slos()]
    assert exposition.render(entries) == oracle(entries)


@pytest.mark.parametrize(
    "value", ['say "hi"', "back\\slash", "two\nlines", "ünïcødé ✓", "", "a=b,c}"]
)
def test_label_values_are_escaped_like_prometheus_client(value: str):
    """Quotes, backslashes and newlines in label values are escaped, UTF-8 kept, and the
    text parses back to the same value."""
    slo = dataclasses.replace(slos()[0], labels=MappingProxyType({"team": value}))
    entries = states(slo)
    text = exposition.render(entries)
    assert text == oracle(entries)
    teams = {
        sample.labels.get("team")
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
        if family.name != exposition.LAST_SUCCESS
    }
    assert teams == {value}


def test_a_renderer_follows_changed_slos():
    """A renderer reused across cycles (as the daemon does) writes each cycle's SLOs with
    their current labels, and drops the SLOs that are gone."""
    renderer = exposition.Renderer()
    first = states(slos()[0])[1]
    assert renderer.render([first]) == oracle([first])
    relabelled = dataclasses.replace(first.slo, labels=MappingProxyType({"team": "new"}))
    again = Served(relabelled, first.result, fresh=True)
    assert renderer.render([again]) == oracle([again])
    assert renderer.render([]) == oracle([])


def test_empty_families_keep_their_help():
    """With no SLO at all every family is still described (HELP and TYPE, no samples), so
    dashboards and rules find each metric's description before the first evaluation; and
    every family described is one some SLO can actually be exposed with."""
    text = exposition.render([]).decode()
    assert text == oracle([]).decode()
    assert text.count("# TYPE ") == len(described())
    entries = [entry for slo in slos() for entry in states(slo)]
    emitted = {name for entry in entries for name, _, _ in exposition.samples(entry)}
    assert emitted == described().keys()


@pytest.mark.parametrize(
    "value",
    [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        1 / 3,
        1e-07,
        5e-324,
        999999.0,
        999999.5,
        1234567.0,
        -1234567.0,
        2592000,
        2592000.0,
        12345678.25,
        1.5e13,
        1e22,
        -1e22,
        1.7976931348623157e308,
    ],
)
def test_values_are_written_as_go_writes_them(value: float):
    """Every value, a count of millions of events included, is printed as prometheus-client
    prints it (Go's format: exponents from seven integer digits on)."""
    assert _go_float(value) == floatToGoString(value)


@pytest.mark.parametrize(
    "labels",
    [{"aaa": "1"}, {"severity_x": "1", "tier": "2"}, {"zone": "eu", "alpha": "a", "team": "t"}],
    ids=["before", "between", "around"],
)
def test_label_names_sort_around_the_added_ones_like_prometheus_client(labels: dict[str, str]):
    """SLO labels whose names sort before, between or after the labels a series adds
    (``window``, ``status``, ``severity``, ``long_window``) land where generate_latest
    puts them, in every state."""
    slo = dataclasses.replace(slos()[0], labels=MappingProxyType(labels))
    entries = states(slo)
    assert exposition.render(entries) == oracle(entries)


async def test_served_text_is_kept_compressed_and_given_back_whole():
    """/metrics keeps only the gzip-compressed exposition; a plain scrape gets the text
    decompressed piece by piece: the same bytes the renderer wrote, its size announced
    up front, in several pieces when the text is large (here 1,500 SLOs)."""
    many = [dataclasses.replace(slo, name=f"{slo.name}-{i}") for i in range(100) for slo in slos()]
    served = ServedSLOs()
    served.apply(many)
    run = EvaluationRun(at=AT)
    run.results = {slo.name: evaluate_slo(slo, events(slo, 0.999, 1e5), AT) for slo in many}
    served.fold(run, AT + 1.0)
    await served.publish()

    size, pieces = served.plain()
    text = list(pieces)
    expected = exposition.render(served.entries())
    assert b"".join(text) == expected == served.exposition
    assert size == len(expected)
    assert len(text) > 1
    assert len(served.exposition_gzip()) < len(expected) / 5
