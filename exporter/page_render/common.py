"""What both pages share: escaping, safe links, the layout and CSS, numbers and charts."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

COLOURS = {
    "healthy": "#2e7d32",
    "attention": "#f9a825",
    "warning": "#ef6c00",
    "critical": "#c62828",
    "exhausted": "#6a1b9a",
    "no_data": "#78909c",
    "unknown": "#9e9e9e",
}
CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;
padding:.3rem .5rem;text-align:left;vertical-align:top}
.st{display:inline-block;padding:0 .4rem;border-radius:.3rem;color:#fff}
.bar{width:8rem;height:.7rem;background:#eee;display:inline-block}
.bar span{display:block;height:100%}
.note{background:#fff8e1;border:1px solid #f9a825;padding:.5rem;margin:.5rem 0}
.muted{color:#666}nav a{margin-right:1rem}form{margin:.8rem 0}
.burns{display:grid;grid-template-columns:repeat(2,auto);gap:0 .6rem;white-space:nowrap;
font-size:.85em}.nw{white-space:nowrap;display:block}
"""


def esc(value: object) -> str:
    """``value`` as HTML text (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def link(url: str, text: str) -> str:
    """A link to ``url`` when it is http(s); otherwise the URL as plain text."""
    if urlsplit(url).scheme.lower() in {"http", "https"}:
        return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(text)}</a>'
    return esc(url)


def layout(title: str, body: str) -> str:
    """A whole page: the inline CSS, the exporter's links and ``body``."""
    nav = "".join(
        f'<a href="{href}">{href}</a>'
        for href in ("/", "/metrics", "/healthz", "/readyz", "/api/v1/openapi.json")
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{esc(title)}</title><link rel="icon" href="data:,"><style>{CSS}</style>'
        "</head><body>"
        f"<nav>{nav}</nav><h1>{esc(title)}</h1>{body}</body></html>\n"
    )


def status(value: str) -> str:
    """The status word on its colour."""
    colour = COLOURS.get(value, "#9e9e9e")
    word = esc(value.replace("_", " "))
    return f'<span class="st" style="background:{colour}">{word}</span>'


def ratio(value: float | None) -> str:
    """A ratio as a percentage, or an em dash when there is none."""
    return "—" if value is None else f"{value * 100:.2f}%"


def num(value: float | None, digits: int = 3) -> str:
    """A number, or an em dash when there is none."""
    return "—" if value is None else f"{value:.{digits}g}"


def bar(remaining: float | None, state: str) -> str:
    """The budget-remaining bar (empty below zero), with the percentage after it."""
    if remaining is None:
        return '<span class="muted">no budget</span>'
    width = max(0.0, min(1.0, remaining)) * 100
    colour = COLOURS.get(state, "#9e9e9e")
    inner = f'<span style="width:{width:.1f}%;background:{colour}"></span>'
    return f'<span class="bar" title="{ratio(remaining)}">{inner}</span> {ratio(remaining)}'


def chart(days: Sequence[dict[str, Any]], width: int, height: int, label: str) -> str:
    """Budget remaining at each day's end as an inline SVG line, 0 drawn as a rule."""
    values: list[float | None] = [d["budget_remaining_ratio"] for d in days]
    known = [float(v) for v in values if v is not None]
    if not known:
        return '<span class="muted">no budget figures yet</span>'
    low, high = min(0.0, *known), max(1.0, *known)
    step = width / max(1, len(values) - 1)

    def y(v: float) -> float:
        return height - (v - low) / (high - low) * height

    points = " ".join(f"{i * step:.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None)
    zero = y(0.0)
    return (
        f'<svg class="chart" role="img" aria-label="{esc(label)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">'
        f'<line x1="0" y1="{zero:.1f}" x2="{width}" y2="{zero:.1f}" stroke="#bbb"/>'
        f'<polyline fill="none" stroke="#1565c0" stroke-width="2" points="{points}"/></svg>'
    )
