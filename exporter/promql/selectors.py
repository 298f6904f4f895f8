"""Vector selectors and query templates from the config: check them, hold them, write them.

Users give plain vector selectors (``http_requests_total{code!~"5.."}``) and
templates with a ``{{window}}`` placeholder. :func:`parse_selector` turns a
selector into a :class:`Selector`; queries are built from that structure and
written back with :meth:`Selector.render`, never by editing the user's text.

Parsing is done by ``promql_parser``; its complaints are quoted in the
one-line ``ValueError`` messages the ``check_*`` functions raise.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import promql_parser

__all__ = [
    "MatchOp",
    "Matcher",
    "Selector",
    "check_histogram",
    "check_selector",
    "check_template",
    "parse_selector",
    "render_template",
    "render_value",
]

PARSED_SELECTORS_KEPT = 1 << 18
"""Selectors whose parse is kept: every selector of 50,000 SLOs and their reloads."""
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Words the Prometheus lexer reads as keywords (case-insensitively) wherever a
# metric name could stand; such names are written as {__name__="..."} instead.
KEYWORDS = frozenset(
    {
        *("and", "or", "unless", "atan2", "bool", "offset", "start", "end", "inf", "nan"),
        *("by", "without", "on", "ignoring", "group_left", "group_right"),
        *("sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk"),
        *("bottomk", "count_values", "quantile", "limitk", "limit_ratio"),
    }
)
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_SAMPLE_WINDOW = "5m"
_EXAMPLE = 'http_requests_total{code!~"5.."}'


class MatchOp(enum.StrEnum):
    """A label matcher's operator, as written in PromQL."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


# promql_parser.MatchOp is not hashable, so this is a list, not a dict.
_FROM_PARSER = (
    (promql_parser.MatchOp.Equal, MatchOp.EQUAL),
    (promql_parser.MatchOp.NotEqual, MatchOp.NOT_EQUAL),
    (promql_parser.MatchOp.Re, MatchOp.REGEX),
    (promql_parser.MatchOp.NotRe, MatchOp.NOT_REGEX),
)


def _match_op(parsed: promql_parser.MatchOp) -> MatchOp:
    return next(ours for theirs, ours in _FROM_PARSER if parsed == theirs)


_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def render_value(value: str) -> str:
    """``value`` as a double-quoted PromQL string: ``a"b\\c`` -> ``"a\\"b\\\\c"``.

    Backslash and double quote are escaped, newline, tab and carriage return
    get their short escapes, other control characters ``\\xHH``; everything
    else (UTF-8 included) is written as is. Prometheus reads this with Go's
    string-literal rules, so a regex ``0\\.3`` is written ``"0\\\\.3"``.
    """
    out = ['"']
    for char in value:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _render_label(label: str) -> str:
    # Names outside the classic charset need Prometheus 3's quoted form.
    return label if _LABEL_NAME.fullmatch(label) else render_value(label)


@dataclass(frozen=True)
class Matcher:
    """One label matcher, e.g. ``code!~"5.."``; ``value`` is unescaped."""

    label: str
    op: MatchOp
    value: str

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("a label matcher needs a label name")
        if self.label == "__name__":
            raise ValueError("the metric name is Selector.name, not a __name__ matcher")

    def render(self) -> str:
        """The matcher as PromQL, the value quoted and escaped."""
        return f"{_render_label(self.label)}{self.op}{render_value(self.value)}"


@dataclass(frozen=True)
class Selector:
    """An instant vector selector: an exact metric name and label matchers, in order."""

    name: str
    matchers: tuple[Matcher, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a selector needs a metric name")

    def with_name(self, name: str) -> Selector:
        """The same matchers on metric ``name``."""
        return replace(self, name=name)

    def with_matcher(self, label: str, op: MatchOp, value: str) -> Selector:
        """A copy where ``label`` is matched only by ``label op value``.

        Any matcher already on ``label`` is dropped; the new one comes last.
        """
        kept = tuple(m for m in self.matchers if m.label != label)
        return replace(self, matchers=(*kept, Matcher(label, op, value)))

    def on(self, label: str) -> tuple[Matcher, ...]:
        """The matchers on ``label``."""
        return tuple(m for m in self.matchers if m.label == label)

    def render(self) -> str:
        """The selector as PromQL: ``name{a="b"}``, or ``{__name__="name",a="b"}``.

        The second form is used when the name is not a classic metric name
        or is a PromQL keyword (``sum``, ``inf``, ...), which a bare name
        cannot express.
        """
        matchers = [m.render() for m in self.matchers]
        if _METRIC_NAME.fullmatch(self.name) and self.name.lower() not in KEYWORDS:
            return f"{self.name}{{{','.join(matchers)}}}" if matchers else self.name
        return "{" + ",".join([f"__name__={render_value(self.name)}", *matchers]) + "}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _parse(text: str) -> promql_parser.Expr:
    if not text.strip():
        raise ValueError("empty expression")
    try:
        return promql_parser.parse(text)
    except ValueError as err:
        raise ValueError(f"not valid PromQL: {_one_line(str(err))}") from None


_DESCRIPTIONS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (promql_parser.AggregateExpr, "an aggregation ({op})"),
    (promql_parser.BinaryExpr, "a binary expression ({op})"),
    ((promql_parser.NumberLiteral, promql_parser.StringLiteral), "a literal"),
    (promql_parser.ParenExpr, "an expression in parentheses"),
    (promql_parser.UnaryExpr, "a negation"),
)
"""What a user wrote instead of a selector, by the parsed expression's type."""


def _describe(expr: promql_parser.Expr) -> str:
    if isinstance(expr, promql_parser.Call):
        return f"a function call ({expr.func.name})"
    for kind, text in _DESCRIPTIONS:
        if isinstance(expr, kind):
            return text.format(op=getattr(expr, "op", ""))
    return "an expression"


def _plain(expr: promql_parser.Expr) -> promql_parser.VectorSelector:
    """``expr`` when it is a bare vector selector: no range, offset, @ or ``or``."""
    if isinstance(expr, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        raise ValueError("give a plain selector; the window is added for you")
    if not isinstance(expr, promql_parser.VectorSelector):
        raise ValueError(f"give a plain selector such as {_EXAMPLE}, not {_describe(expr)}")
    if expr.offset is not None:
        raise ValueError("remove the offset; to look further back, set evaluation.delay")
    if expr.at is not None:
        raise ValueError("remove the @ modifier; the evaluation time is set for you")
    if expr.matchers.or_matchers:
        raise ValueError("'or' inside braces is not supported; use a regex matcher instead")
    return expr


@lru_cache(maxsize=PARSED_SELECTORS_KEPT)
def parse_selector(text: str) -> Selector:
    """Parse a plain instant vector selector with an exact metric name.

    Raises ``ValueError`` with a one-line, user-facing message for anything
    else: a range or subquery, ``offset`` or ``@``, functions, aggregations,
    operators, ``or`` inside the braces, or a missing or regex metric name.

    The last :data:`PARSED_SELECTORS_KEPT` answers are kept (a ``Selector`` is
    immutable): the loader checks each selector of a config and the compiler then
    takes the same parse, and a reload parses only the selectors that changed.
    """
    expr = _plain(_parse(text))
    names: list[str] = [expr.name] if expr.name else []
    matchers: list[Matcher] = []
    for parsed in expr.matchers.matchers:
        op = _match_op(parsed.op)
        if parsed.name != "__name__":
            matchers.append(Matcher(parsed.name, op, parsed.value))
        elif op is MatchOp.EQUAL:
            names.append(parsed.value)
        else:
            raise ValueError(f"the metric name must be exact: __name__{op} is not supported")
    if not names:
        raise ValueError(f"give a metric name, as in {_EXAMPLE}")
    if len(names) > 1:
        raise ValueError("the metric name is given more than once")
    return Selector(names[0], tuple(matchers))


def check_selector(text: str) -> None:
    """Raise ``ValueError`` unless ``text`` is a plain selector (see :func:`parse_selector`)."""
    parse_selector(text)


def counter_template(text: str) -> str | None:
    """``sum(increase(<selector>[{{window}}]))`` when ``text`` is a plain counter selector.

    A selector counts its events exactly as a ``ratio`` SLI does, so one side
    of a ratio may be a selector while the other is a ``{{window}}`` template.
    None for anything else (no ValueError: the caller judges it as a template).
    """
    if "{{" in text:
        return None
    try:
        parse_selector(text)
    except ValueError:
        return None
    return f"sum(increase({text}[{{{{window}}}}]))"


def check_histogram(text: str) -> None:
    """Raise ``ValueError`` unless ``text`` selects a classic histogram by its base name.

    On top of :func:`check_selector`: no ``_bucket``/``_count``/``_sum``
    suffix and no ``le`` matcher, as both are added for you.
    """
    selector = parse_selector(text)
    for suffix in _HISTOGRAM_SUFFIXES:
        if selector.name.endswith(suffix) and len(selector.name) > len(suffix):
            base = selector.name.removesuffix(suffix)
            raise ValueError(
                f"give the histogram's base name {base!r}, not {selector.name!r};"
                " the _bucket series is picked for you"
            )
    if selector.on("le"):
        raise ValueError("remove the le matcher; the threshold picks the bucket")


def render_template(text: str, window: str) -> str:
    """``text`` with every ``{{window}}`` (spaces inside the braces allowed) set to ``window``."""
    return _PLACEHOLDER.sub(lambda m: window if m.group(1) == "window" else m.group(0), text)


def check_template(text: str) -> None:
    """Raise ``ValueError`` unless ``text`` is a PromQL template over ``{{window}}``.

    It must contain ``{{window}}`` and no other ``{{...}}`` placeholder, and
    with a real window substituted it must parse as PromQL giving an instant
    vector or a scalar (not a range, subquery or string).
    """
    placeholders = [m.group(1) for m in _PLACEHOLDER.finditer(text)]
    unknown = [p for p in placeholders if p != "window"]
    if unknown:
        raise ValueError(f"unknown placeholder {{{{{unknown[0]}}}}}; only {{{{window}}}} exists")
    if not placeholders:
        raise ValueError("the query must use {{window}}, e.g. sum(increase(x[{{window}}]))")
    expr = _parse(render_template(text, _SAMPLE_WINDOW))
    while isinstance(expr, promql_parser.ParenExpr):
        expr = expr.expr
    if isinstance(expr, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        raise ValueError("the query must give an instant vector or a scalar, not a range")
    if isinstance(expr, promql_parser.StringLiteral):
        raise ValueError("the query must give an instant vector or a scalar, not a string")


def check_expression(text: str) -> None:
    """Raise ``ValueError`` unless ``text`` is an instant PromQL expression without placeholders.

    Used for expressions judged once per time slice (``threshold``, ``raw``):
    they are evaluated at every slice's end, so they take no ``{{window}}``.
    """
    if _PLACEHOLDER.search(text):
        raise ValueError(
            "this expression is evaluated once per time slice and takes no {{window}}; "
            "write the range you need, e.g. rate(x[5m])"
        )
    expr = _parse(text)
    while isinstance(expr, promql_parser.ParenExpr):
        expr = expr.expr
    if isinstance(expr, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        raise ValueError("the expression must give an instant vector or a scalar, not a range")
    if isinstance(expr, promql_parser.StringLiteral):
        raise ValueError("the expression must give an instant vector or a scalar, not a string")
