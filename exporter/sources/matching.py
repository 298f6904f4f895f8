"""Match a PromQL vector selector against a scraped sample, as Prometheus would.

A scrape source has no Prometheus to ask, so it applies the selectors
itself. The rules are PromQL's:

* the metric name must equal :attr:`Selector.name` exactly;
* a label the sample does not have has the value ``""`` (so ``code=""``
  matches samples without ``code``, ``code!=""`` only samples that have one,
  ``code=~".*"`` every sample);
* ``=~`` and ``!~`` regexes are anchored at both ends: ``code=~"5.."``
  matches ``500`` but not ``5000``; ``le=~"1|1\\.0"`` matches ``1`` but not ``10``;
* regexes follow RE2 as Prometheus 3 uses it: ``.`` also matches a newline,
  ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII-only, POSIX classes such as
  ``[[:digit:]]`` work inside brackets and ``\\z`` ends the text. Unicode
  classes (``\\pL``) are not available and are refused with a clear error.

Python's ``re`` runs the regexes. The PromQL parser behind
:func:`~exporter.promql.selectors.parse_selector` refuses everything RE2
rejects (look-arounds, back-references) before a selector gets here, so
what remains has the same meaning in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from exporter.promql.selectors import Matcher, MatchOp, Selector
from exporter.samples import SeriesKey

__all__ = ["CompiledSelector", "compile_regex", "compile_selector", "series_key"]

# RE2's ASCII classes, written for a Python character set (inside [...]).
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_POSIX = re.compile(r"\[:(\^?)([a-z]+):\]")
_FLAGS = re.compile(r"\(\?([imsU]*(?:-[imsU]+)?)\)")
_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")


def _translate(pattern: str) -> str:
    """``pattern`` (RE2 syntax) in Python's syntax; ValueError for what Python lacks.

    Besides classes and escapes, RE2 lets ``(?i)`` stand anywhere and apply
    to the rest of its group, where Python wants it first: it becomes a
    scoped ``(?i:...)`` closed with its group.
    """
    out: list[str] = []
    pending = [0]  # per open group: scoped-flag groups to close with it
    i = 0
    in_class = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i = _escape(pattern, i, out, in_class)
        elif in_class:
            i = _class_part(pattern, i, out)
            in_class = char != "]"
        elif char == "[":
            i = _open_class(pattern, i, out)
            in_class = True
        else:
            i = _outside_class(pattern, i, out, pending)
    out.append(")" * pending[-1])
    return "".join(out)


def _escape(pattern: str, i: int, out: list[str], in_class: bool) -> int:
    """Translate the escape starting at ``i``; the index after it."""
    escaped = pattern[i + 1 : i + 2]
    if escaped in ("p", "P"):
        raise ValueError(
            f"regex {pattern!r}: Unicode classes (\\{escaped}...) are not supported "
            "when scraping; list the characters instead"
        )
    out.append("\\Z" if escaped == "z" and not in_class else pattern[i : i + 2])
    return i + 2


def _open_class(pattern: str, i: int, out: list[str]) -> int:
    """Translate the ``[`` at ``i`` that opens a class; the index after it."""
    out.append("[")
    i += 1
    # RE2 reads a ] right after [ or [^ as a literal ].
    if pattern[i : i + 1] == "^":
        out.append("^")
        i += 1
    if pattern[i : i + 1] == "]":
        out.append("\\]")
        i += 1
    return i


def _outside_class(pattern: str, i: int, out: list[str], pending: list[int]) -> int:
    """Translate a flag group, a group's start or end, or a plain character at ``i``.

    ``pending`` holds, per open group, the scoped-flag groups to close with
    it; the index after what was translated is returned.
    """
    char = pattern[i]
    if flags := _FLAGS.match(pattern, i):
        # U (ungreedy) changes which match is found, never whether one is.
        wanted = flags.group(1).replace("U", "").rstrip("-")
        out.append(f"(?{wanted}:")
        pending[-1] += 1
        return flags.end()
    if char == "(":
        named = _NAMED_GROUP.match(pattern, i)
        out.append("(?P<" if named else "(")
        pending.append(0)
        return named.end() if named else i + 1
    if char == ")" and len(pending) > 1:
        out.append(")" * (pending.pop() + 1))
    else:
        out.append(char)
    return i + 1


def _class_part(pattern: str, i: int, out: list[str]) -> int:
    """Translate one item inside ``[...]`` starting at ``i``; the index after it."""
    posix = _POSIX.match(pattern, i)
    if posix is None:
        char = pattern[i]
        # Literal in RE2; Python would warn about a nested set or a set operation.
        doubled = char in "&~|" and pattern[i + 1 : i + 2] == char
        out.append("\\" + char if char == "[" or doubled else char)
        return i + 1
    negated, name = posix.groups()
    if name not in _POSIX_CLASSES:
        raise ValueError(f"regex {pattern!r}: unknown class [:{name}:]")
    if negated:
        raise ValueError(
            f"regex {pattern!r}: negated classes like [:^{name}:] are not supported "
            f"when scraping; write [^[:{name}:]] instead"
        )
    out.append(_POSIX_CLASSES[name])
    return posix.end()


def compile_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled to match a whole label value, with PromQL's semantics.

    Raises ``ValueError`` with a one-line message when the pattern cannot be used.
    """
    try:
        return re.compile(f"(?:{_translate(pattern)})", re.DOTALL | re.ASCII)
    except re.error as err:
        raise ValueError(f"regex {pattern!r} cannot be used when scraping: {err}") from None


@dataclass(frozen=True)
class _Check:
    label: str
    op: MatchOp
    value: str
    regex: re.Pattern[str] | None

    def accepts(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.regex is not None:
            found = self.regex.fullmatch(actual) is not None
            return found if self.op is MatchOp.REGEX else not found
        equal = actual == self.value
        return equal if self.op is MatchOp.EQUAL else not equal


def _check(matcher: Matcher) -> _Check:
    regex = None
    if matcher.op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
        regex = compile_regex(matcher.value)
    return _Check(matcher.label, matcher.op, matcher.value, regex)


@dataclass(frozen=True)
class CompiledSelector:
    """A selector with its regexes compiled; call it with a sample's name and labels."""

    selector: Selector
    checks: tuple[_Check, ...]

    def __call__(self, name: str, labels: Mapping[str, str]) -> bool:
        """Whether the sample ``name{labels}`` is selected (labels without ``__name__``)."""
        return name == self.selector.name and all(c.accepts(labels) for c in self.checks)


def compile_selector(selector: Selector) -> CompiledSelector:
    """``selector`` ready to match samples; ``ValueError`` if one of its regexes cannot be used."""
    return CompiledSelector(selector, tuple(_check(m) for m in selector.matchers))


def series_key(name: str, labels: Iterable[tuple[str, str]]) -> SeriesKey:
    """The series' full label set, metric name under ``__name__``; empty labels left out.

    Prometheus drops a label with an empty value on ingestion, so
    ``x{a=""}`` and ``x`` are the same series here too.
    """
    return frozenset([("__name__", name), *((k, v) for k, v in labels if v != "")])
