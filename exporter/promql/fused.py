"""One window query for both counts of a ratio SLI whose good events narrow its total.

The usual ratio SLI selects good events as its total's series with a few more
matchers, such as ``http_requests_total{service="a",code!~"5.."}`` out of
``http_requests_total{service="a"}``. Two ``sum(increase(...))`` queries make the
backend read each series of the window twice; at a 30-day window that reading is
nearly all of the work. So such a window is asked once, summed by the labels the
extra matchers look at::

    sum by (code) (increase(http_requests_total{service="a"}[30d]))

and both numbers are taken from its rows: the total is every row, the good (or bad)
events are the rows whose labels the extra matchers accept. A sum of per-series
increases grouped and then summed is the same sum, so the numbers are those of the
two queries.

The extra matchers are applied here with PromQL's rules (a missing label is the
empty string; a regex matches the whole value), so a regex is fused only when
Python's ``re`` reads it as RE2 does: :func:`same_in_python` admits literals, escaped
punctuation, ``.``, ``|``, groups, simple character classes and the repetitions
``* + ? {n} {n,} {n,m}``; anything else (anchors, flags, ``\\d``, POSIX classes, ...)
keeps the two queries. A ``.`` is the one construct Prometheus 3 (any character) and
other backends (any but a newline) may read differently, so a row whose value has a
newline is :class:`Undecidable` and the caller asks the two queries instead.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from exporter.domain.budgeting import Budgeting
from exporter.domain.durations import format_duration
from exporter.domain.model import SLI, RatioSLI
from exporter.promql.answers import QueryValue
from exporter.promql.selectors import KEYWORDS, Matcher, MatchOp
from exporter.promql.sli_queries import counter_selectors

__all__ = ["Fusion", "Undecidable", "fusion_of", "same_in_python"]

Rows = Sequence[tuple[Mapping[str, str], float]]

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_META = frozenset("\\.+*?()|[]{}^$")
_PUNCTUATION = frozenset(string.punctuation)
_CLASS_PLAIN = frozenset(string.ascii_letters + string.digits + "_./:@,=")
_REPEAT = re.compile(r"\{(\d{1,4})(,(\d{1,4})?)?\}")
_MAX_REPEAT = 1000
"""RE2 refuses larger repetition counts."""


class Undecidable(ValueError):
    """A row the fused query cannot place (a newline under a ``.``): ask the two queries."""


def _class_end(pattern: str, i: int) -> int | None:
    """The index after the simple class opening at ``i``, or None if it is not simple."""
    i += 1
    if pattern[i : i + 1] == "^":
        i += 1
    items = 0
    while i < len(pattern) and pattern[i] != "]":
        char = pattern[i]
        if char == "\\":
            if pattern[i + 1 : i + 2] not in _PUNCTUATION:
                return None
            i += 2
        elif char in _CLASS_PLAIN:
            i += 1
        else:
            return None
        if pattern[i : i + 1] == "-" and pattern[i + 1 : i + 2] not in ("]", ""):
            low, high = pattern[i - 1], pattern[i + 1]
            if not (low.isascii() and low.isalnum() and high.isascii() and high.isalnum()):
                return None
            if low > high:
                return None
            i += 2
        items += 1
    return i + 1 if items and i < len(pattern) else None


def _repeat_end(pattern: str, i: int) -> int | None:
    """The index after the repetition at ``i`` (``* + ?`` or a valid ``{...}``), or None."""
    if pattern[i] in "*+?":
        return i + 1
    found = _REPEAT.match(pattern, i)
    if found is None:
        return None
    low, _, high = found.groups()
    if int(low) > _MAX_REPEAT or (high is not None and not int(low) <= int(high) <= _MAX_REPEAT):
        return None
    return found.end()


def _atom_end(pattern: str, i: int, depth: list[int]) -> tuple[int, bool] | None:
    """The index after the item at ``i`` and whether it may be repeated; None: refused."""
    char = pattern[i]
    if char in "(|)":
        return _group_part(pattern, i, depth)
    if char == "\\":
        end = i + 2 if pattern[i + 1 : i + 2] in _PUNCTUATION else None
    elif char == "[":
        end = _class_end(pattern, i)
    else:  # not ^ $ ] { } nor a repetition with nothing to repeat
        end = i + 1 if char == "." or char not in _META else None
    return None if end is None else (end, True)


def _group_part(pattern: str, i: int, depth: list[int]) -> tuple[int, bool] | None:
    """A group's start (not ``(?``: flags, names) or end, or ``|``."""
    char = pattern[i]
    if char == "|":
        return i + 1, False
    if char == "(":
        if pattern[i + 1 : i + 2] == "?":
            return None
        depth[0] += 1
        return i + 1, False
    depth[0] -= 1
    return (i + 1, True) if depth[0] >= 0 else None


def same_in_python(pattern: str) -> bool:
    """Whether ``pattern`` is in the subset where RE2 and Python's ``re`` (with
    ``DOTALL``, matched in full) accept the same strings."""
    depth = [0]
    i = 0
    while i < len(pattern):
        atom = _atom_end(pattern, i, depth)
        if atom is None:
            return False
        i, repeatable = atom
        if i < len(pattern) and pattern[i] in "*+?{":
            end = _repeat_end(pattern, i) if repeatable else None
            if end is None or (end < len(pattern) and pattern[end] in "*+?{"):
                return False
            i = end
    if depth[0] != 0:
        return False
    try:
        re.compile(pattern, re.DOTALL)
    except re.error:
        return False
    return True


@dataclass(frozen=True)
class _Check:
    """One extra matcher, applied to a row's labels as PromQL would."""

    label: str
    op: MatchOp
    value: str
    regex: re.Pattern[str] | None
    dot: bool
    """The regex has a ``.`` (or a negated class): a value with a newline is undecidable."""

    def accepts(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.regex is None:
            return (actual == self.value) == (self.op is MatchOp.EQUAL)
        if self.dot and "\n" in actual:
            raise Undecidable(f"label {self.label} has a newline")
        return (self.regex.fullmatch(actual) is not None) == (self.op is MatchOp.REGEX)


def _check(matcher: Matcher) -> _Check | None:
    if matcher.op in (MatchOp.EQUAL, MatchOp.NOT_EQUAL):
        return _Check(matcher.label, matcher.op, matcher.value, None, dot=False)
    if not same_in_python(matcher.value):
        return None
    regex = re.compile(matcher.value, re.DOTALL)
    dot = "." in matcher.value or "[^" in matcher.value
    return _Check(matcher.label, matcher.op, matcher.value, regex, dot=dot)


@dataclass(frozen=True)
class Fusion:
    """A ratio SLI's window counts from one query summed by the extra matchers' labels."""

    total: str
    """The total selector, rendered."""
    labels: tuple[str, ...]
    checks: tuple[_Check, ...]

    def query(self, window: int) -> str:
        """``sum by (<labels>) (increase(<total>[<window>]))``."""
        by = ", ".join(self.labels)
        return f"sum by ({by}) (increase({self.total}[{format_duration(window)}]))"

    def selects(self, labels: Mapping[str, str]) -> bool:
        """Whether the numerator selects a row with ``labels``; raises :class:`Undecidable`."""
        return all(check.accepts(labels) for check in self.checks)

    def split(self, rows: Rows) -> tuple[QueryValue, QueryValue]:
        """The numerator's and the total's values from the fused query's rows, as the two
        ``sum(...)`` queries give them (one series when any matched); raises
        :class:`Undecidable`."""
        kept = [value for labels, value in rows if self.selects(labels)]
        numerator = QueryValue(sum(kept), min(len(kept), 1))
        return numerator, QueryValue(sum(value for _, value in rows), min(len(rows), 1))


def _plain_label(label: str) -> bool:
    """A label name ``by (...)`` takes as it is on every backend: classic, no keyword."""
    return _LABEL_NAME.fullmatch(label) is not None and label.lower() not in KEYWORDS


def fusion_of(sli: SLI, budgeting: Budgeting) -> Fusion | None:
    """The fused query of a ratio SLI whose good (or bad) selector is its total's with
    extra matchers the fused query can apply; None when it needs its two queries."""
    if not isinstance(sli, RatioSLI) or budgeting.sliced:
        return None
    selectors = counter_selectors(sli)
    numerator, total = selectors.numerator, selectors.total
    if numerator.name != total.name:
        return None
    extra = Counter(numerator.matchers)
    extra.subtract(total.matchers)
    if any(count < 0 for count in extra.values()) or not +extra:
        return None
    checks = [_check(matcher) for matcher in sorted(+extra, key=lambda m: m.label)]
    labels = tuple(dict.fromkeys(c.label for c in checks if c is not None))
    if any(c is None for c in checks) or not all(map(_plain_label, labels)):
        return None
    return Fusion(total.render(), labels, tuple(c for c in checks if c is not None))
