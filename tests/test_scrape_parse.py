"""A scraped /metrics body becomes the samples Prometheus would store, or one clear error."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client import generate_latest as text_exposition
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_exposition

from exporter.sources.parse import (
    OPENMETRICS,
    TEXT,
    ExpositionError,
    Sample,
    format_of,
    parse_exposition,
)

OM = "application/openmetrics-text; version=1.0.0; charset=utf-8"
PLAIN = "text/plain; version=0.0.4; charset=utf-8"


def as_set(samples: list[Sample]) -> set[tuple[str, frozenset[tuple[str, str]], float]]:
    """Samples as comparable tuples."""
    return {(s.name, frozenset(s.labels.items()), s.value) for s in samples}


def instrumented() -> CollectorRegistry:
    """A registry like a real service's: a labelled counter, a histogram, a gauge, a summary."""
    registry = CollectorRegistry()
    requests = Counter("http_requests", "Requests.", ["code"], registry=registry)
    requests.labels("200").inc(41)
    requests.labels("500").inc(2)
    duration = Histogram(
        "http_request_duration_seconds", "Latency.", buckets=(0.1, 1, 2.5), registry=registry
    )
    for value in (0.05, 0.3, 0.3, 2):
        duration.observe(value)
    Gauge("probe_success", "Up.", registry=registry).set(1)
    Summary("job_seconds", "Jobs.", registry=registry).observe(4)
    return registry


EXPECTED = {
    ("http_requests_total", frozenset({("code", "200")}), 41.0),
    ("http_requests_total", frozenset({("code", "500")}), 2.0),
    ("http_request_duration_seconds_bucket", frozenset({("le", "0.1")}), 1.0),
    ("http_request_duration_seconds_bucket", frozenset({("le", "1.0")}), 3.0),
    ("http_request_duration_seconds_bucket", frozenset({("le", "2.5")}), 4.0),
    ("http_request_duration_seconds_bucket", frozenset({("le", "+Inf")}), 4.0),
    ("http_request_duration_seconds_count", frozenset(), 4.0),
    ("http_request_duration_seconds_sum", frozenset(), 2.65),
    ("probe_success", frozenset(), 1.0),
    ("job_seconds_count", frozenset(), 1.0),
    ("job_seconds_sum", frozenset(), 4.0),
}


@pytest.mark.parametrize(
    ("encode", "content_type"),
    [(text_exposition, PLAIN), (openmetrics_exposition, OM)],
    ids=["text", "openmetrics"],
)
def test_a_real_exposition_gives_the_series_prometheus_stores(encode, content_type: str):
    """Counters keep _total, buckets keep le, gauges come too, and no _created series appears."""
    samples = parse_exposition(encode(instrumented()), content_type)
    assert as_set(samples) == EXPECTED
    assert not any(s.name.endswith("_created") for s in samples)


# (name, content type, body, expected samples as (name, labels, value))
BODIES = [
    (
        "text counter declared without _total keeps its exposed name",
        PLAIN,
        "# TYPE jobs counter\njobs 3\n",
        {("jobs", frozenset(), 3.0)},
    ),
    (
        "text counter declared with _total",
        PLAIN,
        "# TYPE jobs_total counter\njobs_total 3\n",
        {("jobs_total", frozenset(), 3.0)},
    ),
    (
        "openmetrics counter: family jobs, sample jobs_total; jobs_created is left out",
        OM,
        "# TYPE jobs counter\njobs_total 3\njobs_created 1.7e9\n# EOF\n",
        {("jobs_total", frozenset(), 3.0)},
    ),
    (
        "text _created gauge of a counter is left out, another gauge named _created is not",
        PLAIN,
        "# TYPE a_total counter\na_total 1\n# TYPE a_created gauge\na_created 1.7e9\n"
        "# TYPE b_created gauge\nb_created 5\n",
        {("a_total", frozenset(), 1.0), ("b_created", frozenset(), 5.0)},
    ),
    (
        "untyped samples come as they are",
        PLAIN,
        'legacy_errors{kind="x"} 7\n',
        {("legacy_errors", frozenset({("kind", "x")}), 7.0)},
    ),
    (
        "NaN and infinite values are no event counts",
        PLAIN,
        "a NaN\nb +Inf\nc -Inf\nd 2\n",
        {("d", frozenset(), 2.0)},
    ),
    (
        "an empty label is no label",
        PLAIN,
        'x{a="",b="1"} 4\n',
        {("x", frozenset({("b", "1")}), 4.0)},
    ),
    (
        "the first of two samples of one series wins",
        PLAIN,
        'x{a="1"} 4\nx{a="1"} 9\n',
        {("x", frozenset({("a", "1")}), 4.0)},
    ),
    (
        "timestamps and exemplars are ignored",
        OM,
        "# TYPE r counter\n"
        'r_total{a="1"} 5 1700000000\n'
        'r_total{a="2"} 6 # {trace_id="abc"} 1.0\n'
        "# EOF\n",
        {("r_total", frozenset({("a", "1")}), 5.0), ("r_total", frozenset({("a", "2")}), 6.0)},
    ),
    (
        "escaped label values are unescaped",
        PLAIN,
        'x{path="/a\\"b\\\\c\\nd"} 1\n',
        {("x", frozenset({("path", '/a"b\\c\nd')}), 1.0)},
    ),
    ("an empty text body has no samples", PLAIN, "", set()),
    (
        "a body without Content-Type is read as the text format",
        None,
        "x 1\n",
        {("x", frozenset(), 1.0)},
    ),
    (
        "bytes are read as UTF-8",
        PLAIN,
        'x{a="é"} 1\n'.encode(),
        {("x", frozenset({("a", "é")}), 1.0)},
    ),
]


@pytest.mark.parametrize(
    ("content_type", "body", "expected"), [c[1:] for c in BODIES], ids=[c[0] for c in BODIES]
)
def test_exposition_details(content_type: str | None, body: str | bytes, expected: set):
    """Each exposition detail comes out as Prometheus stores it (see the case's name)."""
    assert as_set(parse_exposition(body, content_type)) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", OPENMETRICS),
        ("Application/OpenMetrics-Text", OPENMETRICS),
        ("text/plain; version=0.0.4; charset=utf-8", TEXT),
        ("text/plain", TEXT),
        ("", TEXT),
        (None, TEXT),
        ("application/octet-stream", TEXT),
    ],
)
def test_content_type_picks_the_parser(content_type: str | None, expected: str):
    """OpenMetrics is read as OpenMetrics; anything else falls back to the text format."""
    assert format_of(content_type) == expected


# (name, content type, body, fragment of the message)
GARBAGE = [
    ("html page", PLAIN, "<!DOCTYPE html><html><body>Hi</body></html>", "an HTML or XML page"),
    ("json", PLAIN, '{"status": "ok"}', "looks like JSON"),
    ("not a value", PLAIN, "x y\n", "not valid Prometheus text format"),
    ("unterminated labels", PLAIN, 'x{a="1 2\n', "not valid Prometheus text format"),
    ("duplicate label", PLAIN, 'x{a="1",a="2"} 1\n', "not valid Prometheus text format"),
    ("openmetrics without # EOF", OM, "x 1\n", "not valid OpenMetrics"),
    ("openmetrics histogram without +Inf", OM, '# TYPE h histogram\nh_bucket{le="1"} 1\n# EOF\n',
     "not valid OpenMetrics"),
    ("binary", PLAIN, b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    ("latin-1", PLAIN, 'x{a="\xe9"} 1\n'.encode("latin-1"), "not UTF-8"),
    ("protobuf", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily",
     b"\x0a\x03abc", "not supported"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content_type", "body", "fragment"), [c[1:] for c in GARBAGE], ids=[c[0] for c in GARBAGE]
)
def test_garbage_is_one_clear_error(content_type: str, body: str | bytes, fragment: str):
    """A body that is no exposition raises ExpositionError with a one-line message."""
    with pytest.raises(ExpositionError) as caught:
        parse_exposition(body, content_type)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message
    assert len(message) < 300


def _mutations(seed: int, count: int) -> list[tuple[str, str]]:
    """``count`` randomly damaged copies of real text and OpenMetrics expositions."""
    rng = random.Random(seed)
    bases = [
        (PLAIN, text_exposition(instrumented()).decode()),
        (OM, openmetrics_exposition(instrumented()).decode()),
    ]
    alphabet = '{}"=,# \n\\_.:+-eE0123456789abcInfNa\t'
    out = []
    for _ in range(count):
        content_type, base = rng.choice(bases)
        chars = list(base)
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(chars))
            action = rng.random()
            if action < 0.4:
                chars[position] = rng.choice(alphabet)
            elif action < 0.7:
                del chars[position]
            else:
                chars.insert(position, rng.choice(alphabet))
        out.append((content_type, "".join(chars)))
    return out


def test_damaged_expositions_never_crash_the_parser():
    """Thousands of randomly damaged bodies give samples or ExpositionError, nothing else."""
    messages = []
    for content_type, body in _mutations(seed=7, count=3000):
        try:
            samples = parse_exposition(body, content_type)
        except ExpositionError as err:
            messages.append(str(err))
        else:
            assert all(isinstance(s.value, float) for s in samples)
    assert messages
    assert not [m for m in messages if "\n" in m or not m.startswith("the body")]
