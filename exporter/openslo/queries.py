"""Which PromQL an OpenSLO Prometheus metric source may hold, and what it becomes.

A ``ratioMetric`` counts events, in one of the two native forms:

- a plain counter selector, ``http_requests_total{code=~"5.."}``: the
  exporter adds ``sum(increase(...[window]))`` itself (native ``ratio``);
- a template over ``{{window}}``, ``sum(increase(x[{{window}}]))`` (native ``query``).

``raw`` and ``thresholdMetric`` queries are instant expressions judged per
time slice; :func:`exporter.promql.selectors.check_expression` checks them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import promql_parser

from exporter.promql.selectors import check_template, parse_selector

Form = Literal["ratio", "query"]
_EXAMPLE = 'http_requests_total{code=~"5.."}'
_FORMS = (
    f"a plain counter selector such as {_EXAMPLE} (the window is added for you) or a template "
    "over {{window}} such as sum(increase(" + _EXAMPLE + "[{{window}}]))"
)


def _parse(text: str) -> promql_parser.Expr:
    try:
        return promql_parser.parse(text)
    except ValueError as error:
        raise ValueError(f"not valid PromQL: {' '.join(str(error).split())}") from None


# What a PromQL expression that is no plain selector is, for the message refusing it.
_KINDS: tuple[tuple[type, Callable[[Any], str]], ...] = (
    (promql_parser.MatrixSelector, lambda expr: "a range selector"),
    (promql_parser.SubqueryExpr, lambda expr: "a subquery"),
    (promql_parser.Call, lambda expr: f"a function call ({expr.func.name})"),
    (promql_parser.AggregateExpr, lambda expr: f"an aggregation ({expr.op})"),
    (promql_parser.BinaryExpr, lambda expr: f"a binary expression ({expr.op})"),
    (promql_parser.ParenExpr, lambda expr: "an expression in parentheses"),
)


def _what(expr: promql_parser.Expr) -> str:
    for kind, name in _KINDS:
        if isinstance(expr, kind):
            return name(expr)
    return "another kind of expression"


def ratio_form(text: str) -> Form:
    """``ratio`` for a plain selector, ``query`` for a ``{{window}}`` template.

    Raises ``ValueError`` with a one-line message naming both accepted forms
    for anything else.
    """
    if "{{" in text:
        check_template(text)
        return "query"
    expr = _parse(text)
    if not isinstance(expr, promql_parser.VectorSelector):
        raise ValueError(f"expected {_FORMS}, not {_what(expr)}")
    parse_selector(text)
    return "ratio"
