"""The report's SVG charts as text: burn-down, daily SLI against the objective, incident
timeline. Inline SVG only (no scripts, fonts or external references), so the HTML file
opens anywhere, an email attachment included, and prints."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from exporter.domain.report import Day, Incident

WIDTH, HEIGHT, PAD = 640, 160, 28


def _svg(name: str, label: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{name}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _scale(lo: float, hi: float) -> tuple[float, float]:
    return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)


def _y(value: float, lo: float, hi: float) -> float:
    return HEIGHT - PAD - (value - lo) / (hi - lo) * (HEIGHT - 2 * PAD)


def _x(i: float, n: int) -> float:
    return PAD + i / max(n, 1) * (WIDTH - 2 * PAD)


def _axis(lo: float, hi: float, fmt: str) -> list[str]:
    return [
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" '
        f'y2="{HEIGHT - PAD}"/>',
        f'<text x="2" y="{PAD}">{fmt.format(hi)}</text>',
        f'<text x="2" y="{HEIGHT - PAD}">{fmt.format(lo)}</text>',
    ]


def burn_down(days: Sequence[Day]) -> str:
    """Budget remaining at each day's end (from 100 % at the start), with the even pace."""
    left = [d.budget_remaining_ratio for d in days]
    values = [1.0, *(v for v in left if v is not None)]
    lo, hi = _scale(min(0.0, *values), 1.0)
    n = len(values) - 1
    points = " ".join(f"{_x(i, n):.1f},{_y(v, lo, hi):.1f}" for i, v in enumerate(values))
    body = _axis(lo * 100, hi * 100, "{:.0f} %")
    body += [
        f'<line class="zero" x1="{PAD}" y1="{_y(0, lo, hi):.1f}" x2="{WIDTH - PAD}" '
        f'y2="{_y(0, lo, hi):.1f}"/>',
        f'<line class="pace" x1="{_x(0, n):.1f}" y1="{_y(1, lo, hi):.1f}" '
        f'x2="{_x(n, n):.1f}" y2="{_y(0, lo, hi):.1f}"/>',
        f'<polyline class="series" points="{points}"/>',
    ]
    return _svg("burn-down", "Error budget remaining at the end of each day", body)


def daily_sli(days: Sequence[Day], objective: float) -> str:
    """One bar per day (none without traffic) against the objective's line."""
    target = objective / 100.0
    known = [d.sli for d in days if d.sli is not None]
    lo = max(0.0, min([target - 2 * (1 - target), *known]))
    lo, hi = _scale(lo, 1.0)
    n = len(days)
    width = max((WIDTH - 2 * PAD) / max(n, 1) - 2, 1)
    body = _axis(lo * 100, hi * 100, "{:.2f} %")
    for i, day in enumerate(days):
        if day.sli is None:
            continue
        top = _y(max(day.sli, lo), lo, hi)
        kind = "bar" if day.sli >= target else "bar missed"
        body.append(
            f'<rect class="{kind}" x="{_x(i, n) + 1:.1f}" y="{top:.1f}" width="{width:.1f}" '
            f'height="{HEIGHT - PAD - top:.1f}"><title>{day.date}: {day.sli * 100:.4f} %'
            "</title></rect>"
        )
    y = _y(target, lo, hi)
    body.append(
        f'<line class="objective" x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}"/>'
    )
    return _svg("daily-sli", f"SLI per day against the objective {objective:g} %", body)


def timeline(incidents: Sequence[Incident], start: int, end: int) -> str:
    """Each incident as a band over the period; darker for a larger share of the budget."""
    length = end - start
    body = _axis(0, 0, "")[:1]
    body.append(f'<text x="{PAD}" y="{HEIGHT - 8}">start</text>')
    body.append(f'<text x="{WIDTH - PAD - 20}" y="{HEIGHT - 8}">end</text>')
    for incident in incidents:
        x0 = _x(incident.start - start, length)
        x1 = _x(incident.end - start, length)
        share = min(incident.budget_consumed_ratio or 0.0, 1.0)
        body.append(
            f'<rect class="incident" x="{x0:.1f}" y="{PAD}" width="{max(x1 - x0, 1.5):.1f}" '
            f'height="{HEIGHT - 2 * PAD}" fill-opacity="{0.25 + 0.75 * share:.2f}">'
            f"<title>{incident.bad_events:.0f} bad events, "
            f"{share * 100:.1f} % of the budget</title></rect>"
        )
    if not incidents:
        body.append(f'<text class="none" x="{WIDTH / 2 - 40}" y="{HEIGHT / 2}">no incidents</text>')
    return _svg("incident-timeline", "Incidents over the period", body)
