"""`source: scrape` in the config: what loads, and one clear line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_text import load_text

from exporter.config import load_config
from exporter.errors import ConfigError
from exporter.settings import ScrapeSettings, ScrapeTarget

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "c.yaml"
RATIO = """\
slos:
  - name: api
    service: api
    objective: 99
    sli:
      ratio:
        good: http_requests_total{code!~"5.."}
        total: http_requests_total
"""
ONE = "source:\n  scrape: {url: http://127.0.0.1:8080/metrics}\n"


def problems(text: str) -> tuple[str, ...]:
    """The problems ConfigError lists for ``text``; fails if it loads."""
    with pytest.raises(ConfigError) as caught:
        load_text(text, SOURCE)
    return caught.value.problems


GOOD = [
    (
        "one target as a mapping",
        ONE,
        (ScrapeTarget("http://127.0.0.1:8080/metrics", 15.0, 10.0),),
    ),
    (
        "the timeout defaults to the interval when that is shorter than 10s",
        "source:\n  scrape: {url: http://127.0.0.1:8080/metrics, interval: 5s}\n",
        (ScrapeTarget("http://127.0.0.1:8080/metrics", 5.0, 5.0),),
    ),
    (
        "a list of targets, each with its own interval and timeout",
        "source:\n  scrape:\n"
        "    - {url: http://10.0.0.1:8080/metrics, interval: 1m, timeout: 20s}\n"
        "    - url: https://api.internal/probe?module=http\n",
        (
            ScrapeTarget("http://10.0.0.1:8080/metrics", 60.0, 20.0),
            ScrapeTarget("https://api.internal/probe?module=http", 15.0, 10.0),
        ),
    ),
]


@pytest.mark.parametrize(("text", "targets"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_scrape_source_loads(text: str, targets: tuple[ScrapeTarget, ...]):
    """A config with `source: scrape` and no backend loads its targets, with defaults filled."""
    settings = load_text(text + RATIO, SOURCE)
    assert settings.scrape == ScrapeSettings(targets)
    assert settings.backend.url == ""


def test_backend_config_has_no_scrape_source():
    """A config with a backend has no scrape settings."""
    text = "backend:\n  url: http://127.0.0.1:9090\n" + RATIO
    assert load_text(text, SOURCE).scrape is None


def test_sidecar_demo_config_loads():
    """demo/sidecar.yaml scrapes the demo service every 5s with two SLOs on its metrics."""
    settings = load_config(ROOT / "demo" / "sidecar.yaml")
    assert settings.scrape == ScrapeSettings(
        (ScrapeTarget("http://127.0.0.1:8080/metrics", 5.0, 5.0),)
    )
    assert [slo.name for slo in settings.slos] == ["demo-availability", "demo-latency"]


@pytest.mark.parametrize(
    ("url", "instance"),
    [
        ("http://127.0.0.1:8080/metrics", "127.0.0.1:8080"),
        ("http://Node-1.example.com/metrics", "node-1.example.com:80"),
        ("https://api.internal/metrics", "api.internal:443"),
        ("http://[::1]:9100/metrics", "[::1]:9100"),
    ],
)
def test_instance_label_is_host_and_port(url: str, instance: str):
    """A target's instance label is host:port, the scheme's default port when none is given."""
    assert ScrapeTarget(url).instance == instance


RATIO_SLI = RATIO[RATIO.index("      ratio:") :]
NATIVE = RATIO.replace(
    RATIO_SLI,
    "      latency: {histogram: http_request_duration_seconds, threshold: 0.3, native: true}\n",
)
QUERY = RATIO.replace(
    RATIO_SLI,
    "      query:\n        bad: sum(increase(e_total[{{window}}]))\n"
    "        total: sum(increase(r_total[{{window}}]))\n",
)
THRESHOLD = RATIO.replace(
    RATIO_SLI,
    "      threshold: {query: 'up', op: gte, value: 1}\n",
)
GAUGE = RATIO.replace(RATIO_SLI, "      bool_gauge: {metric: probe_success}\n")
THROUGHPUT = RATIO.replace(
    RATIO_SLI, "      throughput: {counter: http_requests_total, floor: 5}\n"
)
TIMESLICES = RATIO.replace(
    "    sli:\n", "    budgeting: {method: timeslices, slice_target: 95}\n    sli:\n"
)
UNICODE = RATIO.replace('code!~"5.."', 'code!~"\\\\pN+"')

# (name, config text, line, fragment of the one problem line)
BROKEN = [
    ("neither backend nor source", RATIO, 1, "missing required field 'backend'"),
    ("neither names source too", RATIO, 1, "or 'source' (targets to scrape instead)"),
    (
        "both backend and source",
        "backend: {url: http://127.0.0.1:9090}\n" + ONE + RATIO,
        2,
        "source: give either 'backend' (a PromQL API) or 'source' (targets to scrape), not both",
    ),
    ("source without scrape", "source: {}\n" + RATIO, 1, "source: missing required field 'scrape'"),
    ("no targets", "source:\n  scrape: []\n" + RATIO, 2, "source.scrape: list at least one target"),
    (
        "a bare URL",
        "source:\n  scrape: http://127.0.0.1:8080/metrics\n" + RATIO,
        2,
        "source.scrape: write the target as {url: http://127.0.0.1:8080/metrics}",
    ),
    (
        "no scheme",
        "source:\n  scrape: {url: 127.0.0.1:8080/metrics}\n" + RATIO,
        2,
        "source.scrape.url: url must start with http:// or https://",
    ),
    (
        "no path",
        "source:\n  scrape: {url: 'http://127.0.0.1:8080'}\n" + RATIO,
        2,
        "source.scrape.url: give the metrics endpoint's path too",
    ),
    (
        "credentials in the URL",
        "source:\n  scrape: {url: 'http://u:secret@h:1/metrics'}\n" + RATIO,
        2,
        "source.scrape.url: url must not contain credentials",
    ),
    (
        "timeout longer than interval",
        "source:\n  scrape:\n    url: http://h:1/metrics\n    interval: 5s\n    timeout: 6s\n"
        + RATIO,
        5,
        "source.scrape.timeout: timeout must not be longer than the interval (5s)",
    ),
    (
        "interval without unit",
        "source:\n  scrape:\n    url: http://h:1/metrics\n    interval: 15\n" + RATIO,
        4,
        "source.scrape.interval: 15 has no unit",
    ),
    (
        "unknown key in one target",
        "source:\n  scrape: {url: http://h:1/metrics, intervall: 5s}\n" + RATIO,
        2,
        "source.scrape: unknown field 'intervall' (did you mean 'interval'?)",
    ),
    (
        "unknown key in a listed target",
        "source:\n  scrape:\n    - url: http://h:1/metrics\n      every: 5s\n" + RATIO,
        4,
        "source.scrape[0]: unknown field 'every'",
    ),
    (
        "misspelt source",
        "sources:\n  scrape: {url: http://h:1/metrics}\n" + RATIO,
        1,
        "unknown field 'sources' (did you mean 'source'?)",
    ),
    (
        "two targets on one host:port",
        "source:\n  scrape:\n    - url: http://h:1/metrics\n    - url: http://h:1/other\n" + RATIO,
        4,
        "source.scrape[1].url: same host and port as source.scrape[0] (h:1)",
    ),
    (
        "a query SLI",
        ONE + QUERY,
        8,
        'slos[0] "api": sli.query: a query SLI is PromQL, which needs a backend',
    ),
    (
        "a threshold SLI",
        ONE + THRESHOLD,
        8,
        "sli.threshold: a threshold SLI is PromQL, which needs a backend",
    ),
    (
        "a bool_gauge SLI",
        ONE + GAUGE,
        8,
        "sli.bool_gauge: a bool_gauge SLI is counted with sum_over_time, which needs a backend; "
        "with 'source: scrape' use ratio or latency",
    ),
    (
        "a per-slice SLI",
        ONE + THROUGHPUT,
        8,
        "sli.throughput: a throughput SLI judges time slices with PromQL",
    ),
    (
        "timeslice budgeting",
        ONE + TIMESLICES,
        7,
        "budgeting.method: timeslices budgeting judges time slices with PromQL",
    ),
    (
        "a native histogram",
        ONE + NATIVE,
        8,
        "sli.latency.native: native histograms are not in the text formats a scrape reads",
    ),
    (
        "a regex the scrape source cannot run",
        ONE + UNICODE,
        9,
        "sli.ratio.good: regex '\\\\pN+': Unicode classes",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_source_is_one_line_at_its_place(text: str, line: int, fragment: str):
    """Each mistake around `source` is reported on its YAML line with a plain message."""
    found = problems(text)
    assert any(p.startswith(f"{SOURCE}:{line}:") and fragment in p for p in found), found
    assert all("\n" not in p for p in found)
    assert not any("Value error" in p or "ScrapeTargetConfig" in p for p in found), found


def test_missing_source_is_reported_with_the_other_problems():
    """Without backend or source, the other mistakes of the file are still listed too."""
    found = problems(RATIO.replace("objective: 99", "objective: 100"))
    assert any("missing required field 'backend'" in p for p in found)
    assert any("objective" in p for p in found)
