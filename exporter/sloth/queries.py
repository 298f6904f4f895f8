"""Sloth's ``{{.window}}`` queries as native ``{{window}}`` templates that count events.

Sloth fills the Go template variable ``{{.window}}`` (``{{ .window }}`` too)
with each window it needs; the native ``query`` SLI does the same with
``{{window}}``. Sloth's queries usually count with ``rate()``: a per-second
rate, which is fine for Sloth because only the ratio of the two queries is
used. slo-exporter also shows and sums event counts, so every ``rate(`` call
becomes ``increase(``: in PromQL ``increase(v[w])`` is exactly
``rate(v[w])`` times the seconds of ``w``, so the ratio is unchanged and the
numbers are events. ``irate()`` (the last two samples only) cannot count the
events of a window and is refused. Text inside PromQL strings and comments is
never rewritten.
"""

from __future__ import annotations

import re

from exporter.promql.selectors import check_template

_WINDOW = re.compile(r"\{\{-?\s*\.window\s*-?\}\}")
_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_QUOTES = "\"'`"


def _string_end(text: str, start: int) -> int:
    """The index after the PromQL string starting at ``start``."""
    quote = text[start]
    index = start + 1
    while index < len(text) and text[index] != quote:
        index += 2 if text[index] == "\\" and quote != "`" else 1
    return index + 1


def _is_call(text: str, end: int) -> bool:
    rest = text[end:].lstrip()
    return rest.startswith("(")


def counting_events(text: str) -> str:
    """``text`` with each ``rate(`` call made ``increase(``; ValueError for ``irate(``."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in _QUOTES:
            end = _string_end(text, index)
        elif char == "#":
            newline = text.find("\n", index)
            end = len(text) if newline < 0 else newline
        elif (found := _IDENTIFIER.match(text, index)) is not None:
            end = found.end()
            word = found.group(0)
            if word == "irate" and _is_call(text, end):
                raise ValueError(
                    "irate() uses only the last two samples and cannot count the events of "
                    "a window; use rate() or increase() over [{{.window}}]"
                )
            if word == "rate" and _is_call(text, end):
                out.append("increase")
                index = end
                continue
        else:
            end = index + 1
        out.append(text[index:end])
        index = end
    return "".join(out)


def native_window(text: str) -> str:
    """``text`` with ``{{.window}}`` written the native way; ValueError for other actions."""
    for action in _ACTION.finditer(text):
        if not _WINDOW.fullmatch(action.group(0)):
            raise ValueError(
                f"the Go template action {action.group(0)} is not supported; Sloth queries "
                "take only {{.window}}"
            )
    return _WINDOW.sub("{{window}}", text)


def events_template(text: str) -> str:
    """A Sloth ``error_query``/``total_query`` as a native ``{{window}}`` template of events.

    Raises ``ValueError`` (one line) when it cannot be one.
    """
    template = counting_events(native_window(text.strip()))
    check_template(template)
    return template


def ratio_at(text: str, window: str) -> str:
    """A Sloth ``error_ratio_query`` with ``{{.window}}`` set to ``window`` (a fixed query)."""
    return native_window(text.strip()).replace("{{window}}", window)
