"""The PromQL built for each SLI kind, and the checks on selectors and templates."""

from __future__ import annotations

import re

import promql_parser
import pytest
from prometheus_client.utils import floatToGoString

from exporter.domain.model import SLI, LatencySLI, QuerySLI, RatioSLI
from exporter.promql.selectors import (
    Matcher,
    MatchOp,
    Selector,
    check_histogram,
    check_selector,
    check_template,
    parse_selector,
    render_template,
    render_value,
)
from exporter.promql.sli_queries import (
    INF_REGEX,
    WindowQueries,
    le_regex,
    le_spellings,
    window_queries,
)

DAY = 86400

QUERY_CASES: list[tuple[SLI, int, WindowQueries]] = [
    (
        RatioSLI(total="http_requests_total", good='http_requests_total{code!~"5.."}'),
        300,
        WindowQueries(
            numerator='sum(increase(http_requests_total{code!~"5.."}[5m]))',
            total="sum(increase(http_requests_total[5m]))",
            counts_bad=False,
            batchable=True,
        ),
    ),
    (
        RatioSLI(total='rpc_total{job="api"}', bad='rpc_total{job="api",code=~"5..|429"}'),
        5400,
        WindowQueries(
            numerator='sum(increase(rpc_total{job="api",code=~"5..|429"}[1h30m]))',
            total='sum(increase(rpc_total{job="api"}[1h30m]))',
            counts_bad=True,
            batchable=True,
        ),
    ),
    (
        RatioSLI(total='{__name__="jobs_total", queue="q"}', good="{'jobs_ok_total'}"),
        30 * DAY,
        WindowQueries(
            numerator="sum(increase(jobs_ok_total[30d]))",
            total='sum(increase(jobs_total{queue="q"}[30d]))',
            counts_bad=False,
            batchable=True,
        ),
    ),
    (
        RatioSLI(total='{__name__="sum"}', good='{__name__="sum", ok="1"}'),
        60,
        WindowQueries(
            numerator='sum(increase({__name__="sum",ok="1"}[1m]))',
            total='sum(increase({__name__="sum"}[1m]))',
            counts_bad=False,
            batchable=True,
        ),
    ),
    (
        LatencySLI(histogram='http_request_duration_seconds{job="api"}', threshold=0.3),
        30 * DAY,
        WindowQueries(
            numerator=(
                'sum(increase(http_request_duration_seconds_bucket{job="api",le=~"0\\\\.3"}[30d]))'
            ),
            total=(
                'sum(increase(http_request_duration_seconds_bucket{job="api",le=~"\\\\+Inf"}[30d]))'
            ),
            counts_bad=False,
            batchable=True,
        ),
    ),
    (
        LatencySLI(histogram="rpc_seconds", threshold=1.0),
        3600,
        WindowQueries(
            numerator='sum(increase(rpc_seconds_bucket{le=~"1|1\\\\.0"}[1h]))',
            total='sum(increase(rpc_seconds_bucket{le=~"\\\\+Inf"}[1h]))',
            counts_bad=False,
            batchable=True,
        ),
    ),
    (
        QuerySLI(
            total="sum(increase(a_total[{{window}}]))",
            good='sum(increase(a_total{ok="1"}[{{ window }}])) + 0 * vector(1)',
        ),
        DAY,
        WindowQueries(
            numerator='sum(increase(a_total{ok="1"}[1d])) + 0 * vector(1)',
            total="sum(increase(a_total[1d]))",
            counts_bad=False,
        ),
    ),
    (
        QuerySLI(
            total="sum(increase(a_total[{{window}}]))",
            bad="sum(increase(a_errors_total[{{window}}])) or vector(0)",
        ),
        7200,
        WindowQueries(
            numerator="sum(increase(a_errors_total[2h])) or vector(0)",
            total="sum(increase(a_total[2h]))",
            counts_bad=True,
        ),
    ),
]
QUERY_IDS = ["ratio-good", "ratio-bad", "ratio-name-matcher", "ratio-keyword-name"]
QUERY_IDS += ["latency-0.3", "latency-1", "query-good", "query-bad"]


@pytest.mark.parametrize(("sli", "window", "expected"), QUERY_CASES, ids=QUERY_IDS)
def test_window_queries(sli: SLI, window: int, expected: WindowQueries) -> None:
    """Each SLI kind and window gives exactly the expected numerator and total queries."""
    assert window_queries(sli, window) == expected


@pytest.mark.parametrize(("sli", "window", "expected"), QUERY_CASES, ids=QUERY_IDS)
def test_window_queries_parse(sli: SLI, window: int, expected: WindowQueries) -> None:
    """Every built query is valid PromQL."""
    built = window_queries(sli, window)
    promql_parser.parse(built.numerator)
    promql_parser.parse(built.total)


def _matcher_value(query: str, label: str) -> str:
    """The unescaped value of ``label``'s matcher in ``sum(increase(sel[w]))``."""
    expr = promql_parser.parse(query)
    assert isinstance(expr, promql_parser.AggregateExpr)
    call = expr.expr
    assert isinstance(call, promql_parser.Call)
    matrix = call.args[0]
    assert isinstance(matrix, promql_parser.MatrixSelector)
    (matcher,) = [m for m in matrix.vector_selector.matchers.matchers if m.name == label]
    return matcher.value


@pytest.mark.parametrize("threshold", [0.3, 1, 2.5, 0.00001, 10, 1e6])
def test_latency_le_matchers_reach_the_backend_as_regexes(threshold: float) -> None:
    """The PromQL string escaping delivers le_regex and \\+Inf unchanged to the parser."""
    built = window_queries(LatencySLI(histogram="h", threshold=threshold), 300)
    assert _matcher_value(built.numerator, "le") == le_regex(threshold)
    assert _matcher_value(built.total, "le") == INF_REGEX == r"\+Inf"


@pytest.mark.parametrize(
    ("threshold", "spellings"),
    [
        (0.3, ("0.3",)),
        (1, ("1", "1.0")),
        (2.5, ("2.5",)),
        (0.00001, ("1e-05", "1.0E-5", "0.00001")),
        (10, ("10", "10.0")),
        (1e6, ("1e+06", "1000000.0", "1000000")),
        (0.0001, ("0.0001", "1.0E-4")),
    ],
)
def test_le_spellings(threshold: float, spellings: tuple[str, ...]) -> None:
    """A bucket bound is spelled the ways Go, Prometheus 3, Python, Java and JS write it."""
    assert le_spellings(threshold) == spellings


@pytest.mark.parametrize(
    ("threshold", "regex"),
    [
        (0.3, r"0\.3"),
        (1, r"1|1\.0"),
        (0.00001, r"1e-05|1\.0E-5|0\.00001"),
        (1e6, r"1e\+06|1000000\.0|1000000"),
    ],
)
def test_le_regex(threshold: float, regex: str) -> None:
    """The le regex is the alternation of the spellings with dots and pluses escaped."""
    assert le_regex(threshold) == regex


@pytest.mark.parametrize(
    ("threshold", "written"),
    [
        # Go (client_golang), as Prometheus 2.42 exposes its own histograms.
        (0.005, "0.005"),
        (1, "1"),
        (409600, "409600"),
        (1.6384e6, "1.6384e+06"),
        (2.62144e7, "2.62144e+07"),
        # Python prometheus_client.
        (1, floatToGoString(1)),
        (0.00001, floatToGoString(0.00001)),
        (1e6, floatToGoString(1e6)),
        (123.456, floatToGoString(123.456)),
        # Java Double.toString and JavaScript Number.toString.
        (0.00001, "1.0E-5"),
        (1e7, "1.0E7"),
        (2.5e-6, "0.0000025"),
    ],
)
def test_le_regex_matches_real_spellings(threshold: float, written: str) -> None:
    """The le regex (anchored, as PromQL anchors it) matches what client libraries write."""
    assert re.fullmatch(le_regex(threshold), written)


@pytest.mark.parametrize(
    ("threshold", "other"),
    [(1, "10"), (1, "1x0"), (1, "0.1"), (0.3, "0x3"), (0.3, "0.35"), (1e6, "1e06")],
)
def test_le_regex_rejects_other_values(threshold: float, other: str) -> None:
    """Escaped dots and pluses keep the le regex from matching other bounds."""
    assert re.fullmatch(le_regex(threshold), other) is None


@pytest.mark.parametrize("threshold", [float("nan"), float("inf")])
def test_le_spellings_refuse_non_finite(threshold: float) -> None:
    """A NaN or infinite threshold is refused."""
    with pytest.raises(ValueError, match="finite"):
        le_spellings(threshold)


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("C:\\temp\\", '"C:\\\\temp\\\\"'),
        ("line\nbreak\ttab", '"line\\nbreak\\ttab"'),
        ("bell\x07", '"bell\\x07"'),
        ("é ☃ 😀", '"é ☃ 😀"'),
        ("it's", '"it\'s"'),
    ],
)
def test_render_value_escapes(value: str, rendered: str) -> None:
    """Label values are written as Go-escaped double-quoted PromQL strings."""
    assert render_value(value) == rendered


@pytest.mark.parametrize(
    "value", ['say "hi"', "back\\slash", 'a\\"b', "line\nbreak", "\x00\x7f", "é😀", "x'y", ""]
)
def test_rendered_selector_round_trips(value: str) -> None:
    """A selector with any label value renders to PromQL that parses back to that value."""
    selector = Selector("m", (Matcher("a", MatchOp.NOT_EQUAL, value),))
    parsed = promql_parser.parse(selector.render())
    assert isinstance(parsed, promql_parser.VectorSelector)
    assert [(m.name, m.value) for m in parsed.matchers.matchers] == [("a", value)]
    assert parse_selector(selector.render()) == selector


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("foo", Selector("foo")),
        (
            'foo{a="b",c!~"5.."}',
            Selector(
                "foo", (Matcher("a", MatchOp.EQUAL, "b"), Matcher("c", MatchOp.NOT_REGEX, "5.."))
            ),
        ),
        ('{__name__="foo"}', Selector("foo")),
        ('{a=~"x", __name__="foo"}', Selector("foo", (Matcher("a", MatchOp.REGEX, "x"),))),
        ("foo{a='sq\\'d'}", Selector("foo", (Matcher("a", MatchOp.EQUAL, "sq'd"),))),
        ('foo{a="q\\"d"}', Selector("foo", (Matcher("a", MatchOp.EQUAL, 'q"d'),))),
    ],
)
def test_parse_selector(text: str, expected: Selector) -> None:
    """Selectors parse into the metric name and the label matchers in order."""
    assert parse_selector(text) == expected


@pytest.mark.parametrize(
    ("selector", "rendered"),
    [
        (Selector("foo"), "foo"),
        (Selector("foo", (Matcher("a", MatchOp.EQUAL, "b"),)), 'foo{a="b"}'),
        (Selector("sum"), '{__name__="sum"}'),
        (Selector("Inf", (Matcher("a", MatchOp.EQUAL, "b"),)), '{__name__="Inf",a="b"}'),
        (Selector("otel.metric"), '{__name__="otel.metric"}'),
        (Selector("foo", (Matcher("http.code", MatchOp.EQUAL, "200"),)), 'foo{"http.code"="200"}'),
    ],
)
def test_selector_render(selector: Selector, rendered: str) -> None:
    """Names that are keywords or outside the classic charset are written in quoted form."""
    assert selector.render() == rendered
    promql_parser.parse(rendered)


def test_selector_builders() -> None:
    """with_name renames; with_matcher replaces the matchers on its label and appends."""
    base = parse_selector('foo{a="1",b="2",a!="3"}')
    assert base.with_name("bar").render() == 'bar{a="1",b="2",a!="3"}'
    assert base.with_matcher("a", MatchOp.REGEX, "x|y").render() == 'foo{b="2",a=~"x|y"}'
    assert base.render() == 'foo{a="1",b="2",a!="3"}'


def test_matcher_refuses_the_name_label() -> None:
    """The metric name lives in Selector.name, never in a __name__ matcher."""
    with pytest.raises(ValueError, match=r"Selector\.name"):
        Matcher("__name__", MatchOp.EQUAL, "foo")


@pytest.mark.parametrize(
    "text",
    ["foo", 'foo{a="b",c!~"5.."}', '{__name__="foo"}', "foo:bar_total", "  foo{ a = 'b' }  "],
)
def test_check_selector_accepts(text: str) -> None:
    """Plain instant selectors with a metric name are accepted."""
    check_selector(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty expression"),
        ("foo{", "not valid PromQL: unexpected end of input inside braces"),
        ('foo{a=~"("}', "not valid PromQL: illegal regex"),
        ("foo[5m]", "give a plain selector; the window is added for you"),
        ("foo[5m:1m]", "give a plain selector; the window is added for you"),
        ("foo offset 5m", "remove the offset"),
        ("foo @ 1700000000", "remove the @ modifier"),
        ("rate(foo[5m])", r"not a function call \(rate\)"),
        ("sum(foo)", r"not an aggregation \(sum\)"),
        ("foo / bar", r"not a binary expression \(/\)"),
        ("(foo)", "not an expression in parentheses"),
        ("-foo", "not a negation"),
        ("42", "not a literal"),
        ('{a="b"}', "give a metric name"),
        ('{__name__=~"foo.*"}', "metric name must be exact"),
        ('{__name__="a", __name__="b"}', "given more than once"),
        ('foo{a="1" or a="2"}', "'or' inside braces is not supported"),
    ],
)
def test_check_selector_rejects(text: str, message: str) -> None:
    """Anything but a plain selector is rejected with a one-line message saying why."""
    with pytest.raises(ValueError, match=message) as caught:
        check_selector(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "text", ["http_request_duration_seconds", 'rpc_seconds{job="api"}', "bucket_total"]
)
def test_check_histogram_accepts(text: str) -> None:
    """A histogram's base name, with or without matchers, is accepted."""
    check_histogram(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("latency_seconds_bucket", "give the histogram's base name 'latency_seconds'"),
        (
            'latency_seconds_count{a="b"}',
            "base name 'latency_seconds', not 'latency_seconds_count'",
        ),
        ("latency_seconds_sum", "base name 'latency_seconds'"),
        ('latency_seconds{le="0.3"}', "remove the le matcher"),
        ("latency_seconds[5m]", "the window is added for you"),
        ("histogram_quantile(0.9, latency_seconds)", "not a function call"),
    ],
)
def test_check_histogram_rejects(text: str, message: str) -> None:
    """Suffixed names, le matchers and non-selectors are rejected."""
    with pytest.raises(ValueError, match=message):
        check_histogram(text)


@pytest.mark.parametrize(
    "text",
    [
        "sum(increase(x[{{window}}]))",
        "sum(increase(x[{{ window }}])) - sum(increase(y[{{window}}]))",
        "count_over_time(up[{{window}}])",
        "(sum(rate(x[{{window}}])) * 300)",
    ],
)
def test_check_template_accepts(text: str) -> None:
    """Templates using {{window}} that give instant vectors are accepted."""
    check_template(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sum(increase(x[5m]))", "must use {{window}}"),
        ("sum(increase(x[{{windows}}]))", "unknown placeholder {{windows}}"),
        ("sum(increase(x[{{window}}])", "not valid PromQL"),
        ("sum(increase(x{{window}}))", "not valid PromQL"),
        ("x[{{window}}]", "not a range"),
        ("(rate(x[1m])[{{window}}:1m])", "not a range"),
        ('label_replace(x[{{window}}], "a", "b", "c", "d")', "not valid PromQL"),
    ],
)
def test_check_template_rejects(text: str, message: str) -> None:
    """Templates without {{window}}, with other placeholders or not parsing are rejected."""
    with pytest.raises(ValueError, match=re.escape(message)):
        check_template(text)


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("x[{{window}}]", "x[5m]"),
        ("x[{{ window }}] / y[{{window  }}]", "x[5m] / y[5m]"),
        ("x[{{other}}]", "x[{{other}}]"),
    ],
)
def test_render_template(text: str, rendered: str) -> None:
    """Every {{window}}, spaces allowed inside the braces, becomes the window."""
    assert render_template(text, "5m") == rendered
