"""Selectors applied to scraped samples select exactly what Prometheus would select."""

from __future__ import annotations

import pytest

from exporter.promql.selectors import parse_selector
from exporter.sources.matching import compile_regex, compile_selector, series_key

# (selector, sample name, sample labels, selected?)
CASES = [
    # the metric name is exact
    ("http_requests_total", "http_requests_total", {}, True),
    ("http_requests_total", "http_requests_total", {"code": "200"}, True),
    ("http_requests_total", "http_requests", {}, False),
    ("http_requests_total", "http_requests_total_x", {}, False),
    ('{__name__="http_requests_total"}', "http_requests_total", {}, True),
    ('{__name__="sum"}', "sum", {}, True),
    # = and !=
    ('x{code="200"}', "x", {"code": "200"}, True),
    ('x{code="200"}', "x", {"code": "2000"}, False),
    ('x{code="200"}', "x", {}, False),
    ('x{code!="200"}', "x", {"code": "500"}, True),
    ('x{code!="200"}', "x", {"code": "200"}, False),
    ('x{code!="200"}', "x", {}, True),
    # a missing label has the value ""
    ('x{code=""}', "x", {}, True),
    ('x{code=""}', "x", {"code": "200"}, False),
    ('x{code!=""}', "x", {}, False),
    ('x{code!=""}', "x", {"code": "200"}, True),
    ('x{code=~""}', "x", {}, True),
    ('x{code!~""}', "x", {}, False),
    ('x{code=~".*"}', "x", {}, True),
    ('x{code=~".+"}', "x", {}, False),
    ('x{code!~".+"}', "x", {}, True),
    ('x{code=~"5..|"}', "x", {}, True),
    # regexes are anchored at both ends
    ('x{code=~"5.."}', "x", {"code": "500"}, True),
    ('x{code=~"5.."}', "x", {"code": "5000"}, False),
    ('x{code=~"5.."}', "x", {"code": "1500"}, False),
    ('x{code!~"5.."}', "x", {"code": "5000"}, True),
    ('x{code!~"5.."}', "x", {"code": "503"}, False),
    ('x{code=~"0"}', "x", {"code": "200"}, False),
    ('x{le=~"1|1\\\\.0"}', "x", {"le": "1"}, True),
    ('x{le=~"1|1\\\\.0"}', "x", {"le": "1.0"}, True),
    ('x{le=~"1|1\\\\.0"}', "x", {"le": "10"}, False),
    ('x{le=~"1|1\\\\.0"}', "x", {"le": "1x0"}, False),
    ('x{le=~"\\\\+Inf"}', "x", {"le": "+Inf"}, True),
    ('x{le=~"0.3"}', "x", {"le": "0x3"}, True),
    ('x{le=~"0\\\\.3"}', "x", {"le": "0x3"}, False),
    ('x{a=~"b|c"}', "x", {"a": "bc"}, False),
    ('x{a=~"^b$"}', "x", {"a": "b"}, True),
    # RE2 as Prometheus 3 runs it
    ('x{a=~"a.b"}', "x", {"a": "a\nb"}, True),
    ('x{a=~"(?i)get"}', "x", {"a": "GET"}, True),
    ('x{a=~"g(?i)et"}', "x", {"a": "gET"}, True),
    ('x{a=~"g(?i)et"}', "x", {"a": "GET"}, False),
    ('x{a=~"(?i:g)et"}', "x", {"a": "GeT"}, False),
    ('x{a=~"\\\\d+"}', "x", {"a": "123"}, True),
    ('x{a=~"\\\\d+"}', "x", {"a": "١٢٣"}, False),
    ('x{a=~"[[:digit:]]{3}"}', "x", {"a": "503"}, True),
    ('x{a=~"[[:alpha:]_]+"}', "x", {"a": "api_v"}, True),
    ('x{a=~"[^[:space:]]+"}', "x", {"a": "a b"}, False),
    ('x{a=~"[]x]+"}', "x", {"a": "]x"}, True),
    ('x{a=~"ab\\\\z"}', "x", {"a": "ab"}, True),
    ('x{a=~"(?<v>a)b"}', "x", {"a": "ab"}, True),
    ('x{a=~"(?U)a+"}', "x", {"a": "aaa"}, True),
    ('x{a=~"é+"}', "x", {"a": "éé"}, True),
    # every matcher must hold
    ('x{a="1",b=~"2|3"}', "x", {"a": "1", "b": "3"}, True),
    ('x{a="1",b=~"2|3"}', "x", {"a": "1", "b": "4"}, False),
    ('x{a="1",a!="1"}', "x", {"a": "1"}, False),
    ('x{a=~".+",a!~"1"}', "x", {"a": "2"}, True),
]


@pytest.mark.parametrize(("selector", "name", "labels", "selected"), CASES)
def test_selector_selects_like_prometheus(
    selector: str, name: str, labels: dict[str, str], selected: bool
):
    """A sample is selected exactly when Prometheus would select its series."""
    assert compile_selector(parse_selector(selector))(name, labels) is selected


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("\\pL+", "Unicode classes"),
        ("\\p{Greek}", "Unicode classes"),
        ("[[:^digit:]]", "write [^[:digit:]] instead"),
        ("[[:nope:]]", "unknown class [:nope:]"),
    ],
)
def test_regex_the_scrape_source_cannot_run_is_a_clear_error(pattern: str, fragment: str):
    """RE2 features Python's re lacks are refused with a one-line message naming the regex."""
    with pytest.raises(ValueError, match="regex") as caught:
        compile_regex(pattern)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "labels", "expected"),
    [
        ("x", [], {("__name__", "x")}),
        ("x", [("a", "1")], {("__name__", "x"), ("a", "1")}),
        ("x", [("a", ""), ("b", "2")], {("__name__", "x"), ("b", "2")}),
    ],
)
def test_series_key_is_the_full_label_set_without_empty_labels(
    name: str, labels: list[tuple[str, str]], expected: set[tuple[str, str]]
):
    """A series is named by all its labels, the name as __name__; an empty label is no label."""
    assert series_key(name, labels) == frozenset(expected)
