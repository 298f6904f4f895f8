"""``slo-exporter discover`` on a real Prometheus holding the test history.

Expected values come from the generator (``tests/history.py``): the services and
instrumentation it wrote, each SLI's exact events over the seven days before the
history's ``now``, and the suggestion rule the README states, applied here on its own:
the strictest tier whose objective keeps half of its budget, the smallest bucket bound
under which 99 % of requests keep half of theirs.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from history import DAY, LATENCY_BUCKETS, History
from truth import not_5xx

from exporter.cli import main

SPAN = 7 * DAY
TIERS = (("critical", 99.95), ("essential", 99.9), ("standard", 99.5), ("best_effort", 99.0))


def discover(*args: str) -> tuple[int, str, str]:
    """Run ``slo-exporter discover`` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--log-format", "json", "discover", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def written(prometheus, tmp_path_factory) -> tuple[Path, str]:
    """The config discovered over the last seven days, written with ``-o``."""
    path = tmp_path_factory.mktemp("discover") / "discovered.yaml"
    code, out, err = discover(
        "--backend", prometheus.url, "--last", "7d", "--at", str(prometheus.now), "-o", str(path)
    )
    assert (code, out, err) == (0, "", "")
    return path, path.read_text()


def _service(text: str, name: str) -> dict[str, Any]:
    return next(s for s in yaml.safe_load(text)["services"] if s["name"] == name)


def _block(text: str, name: str) -> str:
    """The comment lines just above the service's entry."""
    lines = text.splitlines()
    end = lines.index(f'  - name: "{name}"')
    start = end
    while lines[start - 1].startswith("  #"):
        start -= 1
    return "\n".join(lines[start:end])


def _ratio(history: History, name: str, good: dict[str, Any], total: dict[str, Any],
           at: int) -> float:  # fmt: skip
    return history.increase(name, good, at, SPAN) / history.increase(name, total, at, SPAN)


def _tier(sli: float) -> tuple[str, float, float]:
    """The rule: the strictest tier that keeps half of its budget, else best_effort."""
    for tier, objective in TIERS:
        left = 1 - (1 - sli) / (1 - objective / 100)
        if left >= 0.5:
            return tier, objective, left
    return "best_effort", 99.0, 1 - (1 - sli) / 0.01


def test_the_written_config_passes_validate_unchanged(written, capsys):
    """``validate`` accepts the file as written: four SLOs from three services."""
    path, _ = written
    assert main(["validate", "-c", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: OK, 5 SLOs\n"


def test_services_and_templates_are_the_instrumentation_the_generator_wrote(written):
    """checkout: HTTP requests with code and a classic histogram (api); api and quiet:
    requests only (api); nightly-export: record counters (data_pipeline)."""
    _, text = written
    data = yaml.safe_load(text)
    assert [(s["name"], s["template"]) for s in data["services"]] == [
        ("api", "api"), ("checkout", "api"), ("nightly-export", "data_pipeline"),
        ("quiet", "api"),
    ]  # fmt: skip
    assert _service(text, "api")["requests"] == 'api_requests_total{service="api"}'
    checkout = _service(text, "checkout")
    assert checkout["requests"] == 'http_requests_total{service="checkout"}'
    assert checkout["errors"] == {"code": "5.."}
    assert checkout["duration"] == 'http_request_duration_seconds{service="checkout"}'
    assert _service(text, "nightly-export")["records"] == {
        "processed": 'batch_records_processed_total{job="nightly-export"}',
        "expected": 'batch_records_expected_total{job="nightly-export"}',
    }
    assert "HTTP request counter" in _block(text, "checkout")
    assert "classic latency histogram" in _block(text, "checkout")


def test_shapes_no_template_takes_are_listed_not_guessed(written):
    """The search counters (no status label) and the gauges are listed as comments."""
    _, text = written
    listed = text[text.index("# Found but not used") :]
    for series in ('search_requests_total{service="search"}',
                   'search_errors_total{service="search"}', 'probe_success{job="blackbox"}',
                   'batch_last_success_timestamp_seconds{job="nightly-export"}'):  # fmt: skip
        assert f"#   {series}: " in listed
    assert "search" not in [s["name"] for s in yaml.safe_load(text)["services"]]


@pytest.mark.parametrize(
    ("service", "metric", "good", "total", "what"),
    [
        ("checkout", "http_requests_total", {"service": "checkout", "code": not_5xx},
         {"service": "checkout"}, "availability"),
        ("quiet", "http_requests_total", {"service": "quiet", "code": not_5xx},
         {"service": "quiet"}, "availability"),
    ],
)  # fmt: skip
def test_availability_tier_follows_the_true_sli(
    prometheus, written, service, metric, good, total, what
):
    """The achieved SLI, the tier and the budget it would have left are the truth's."""
    _, text = written
    sli = _ratio(prometheus.history, metric, good, total, prometheus.now)
    tier, objective, left = _tier(sli)
    assert _service(text, service)["tier"] == tier
    assert f"# {what}: achieved {sli:.4%}; tier {tier} ({objective:g} %)" in text
    assert f"would have left {left:.0%} of its budget" in _block(text, service)


def test_each_quarter_of_the_span_shows_its_true_sli_and_budget(prometheus, written):
    """The comments give the SLI of each quarter of the seven days (oldest first) and what
    each would have left of the chosen tier's budget, from the true events."""
    _, text = written
    history, now, quarter = prometheus.history, prometheus.now, SPAN // 4
    good = {"service": "checkout", "code": not_5xx}
    slis = [
        history.increase("http_requests_total", good, end, quarter)
        / history.increase("http_requests_total", {"service": "checkout"}, end, quarter)
        for end in (now - 3 * quarter, now - 2 * quarter, now - quarter, now)
    ]
    tier, objective, _ = _tier(_ratio(history, "http_requests_total", good,
                                      {"service": "checkout"}, now))  # fmt: skip
    block = _block(text, "checkout")
    shown = ", ".join(f"{x:.4%}" for x in slis)
    left = ", ".join(f"{1 - (1 - x) / (1 - objective / 100):.0%}" for x in slis)
    assert f"  #   by 4 equal parts of the span, oldest first: {shown}\n" in block + "\n"
    assert f"  #   leaving of {tier}'s {objective:g} % budget: {left}" in block


def test_completeness_tier_follows_the_true_sli(prometheus, written):
    """nightly-export's processed / expected records over seven days decide its tier."""
    _, text = written
    history, now = prometheus.history, prometheus.now
    processed = history.increase("batch_records_processed_total", {}, now, SPAN)
    sli = processed / history.increase("batch_records_expected_total", {}, now, SPAN)
    tier, objective, left = _tier(sli)
    assert _service(text, "nightly-export")["tier"] == tier
    block = _block(text, "nightly-export")
    assert f"# completeness: achieved {sli:.4%}; tier {tier} ({objective:g} %)" in block
    assert f"would have left {left:.0%} of its budget" in block


def test_latency_threshold_is_the_smallest_bound_keeping_half_the_budget(prometheus, written):
    """The threshold is the smallest bucket bound with at most 0.5 % of requests above it;
    the comment gives the true share under it."""
    _, text = written
    history, now = prometheus.history, prometheus.now
    labels = {"service": "checkout"}

    def under(le: str) -> float:
        return history.increase(
            "http_request_duration_seconds_bucket", {**labels, "le": le}, now, SPAN
        )

    total = under("+Inf")
    bound = next(le for le in LATENCY_BUCKETS[:-1] if 1 - under(le) / total <= 0.005)
    assert _service(text, "checkout")["latency_threshold"] == float(bound)
    sli = under(bound) / total
    assert f"# latency under {float(bound):g} s: achieved {sli:.4%}" in text


@pytest.mark.parametrize(
    ("args", "code", "pattern"),
    [
        (["--last", "28d"], 5, r"discover: --last 28d reaches back to \S+, beyond the backend's "
         r"retention .*: choose a shorter --last"),
        (["--last", "7d", "--match", 'job="nope"'], 4,
         r'discover: the backend has no series matching job="nope" at \S+'),
        (["--last", "7d", "--match", 'service="search"'], 4,
         r"discover: none of the \d+ series groups found fits a template: search_errors_total.*"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_with_its_own_exit_code(prometheus, args, code, pattern):
    """A span beyond retention (5), no matching series (4), nothing a template fits (4)."""
    got, out, err = discover("--backend", prometheus.url, "--at", str(prometheus.now), *args)
    assert (got, out) == (code, "")
    assert re.fullmatch(pattern, err.strip()), err
    assert len(err.strip().splitlines()) == 1


def test_an_unreachable_backend_is_one_line_and_exit_3():
    """Nobody listening: one line naming the backend, exit 3, no credentials shown."""
    code, out, err = discover("--backend", "http://user:hunter2@127.0.0.1:9", "--last", "7d")
    assert (code, out) == (3, "")
    assert err.startswith("discover: "), err
    assert "cannot reach" in err
    assert "hunter2" not in err
    assert len(err.strip().splitlines()) == 1


def test_template_option_keeps_only_its_services(prometheus):
    """``--template data_pipeline`` writes nightly-export alone."""
    code, out, err = discover("--backend", prometheus.url, "--at", str(prometheus.now),
                              "--last", "7d", "--template", "data_pipeline")  # fmt: skip
    assert code == 0, err
    assert [s["name"] for s in yaml.safe_load(out)["services"]] == ["nightly-export"]
