"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, fonts or
external references, readable on screen and printed (each SLO on its own page)."""

from __future__ import annotations

from html import escape

from exporter.domain.durations import format_duration
from exporter.domain.model import SLO
from exporter.report import charts
from exporter.report.build import Report, ServiceReview, SLOReport, rfc3339
from exporter.report.documents import pct
from exporter.report.notes import adjustment_text, phase_text

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;
  margin:2em auto;max-width:760px;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccd;padding:.25em .6em;
  text-align:left}th{background:#f1f3f8}
.green{color:#17733a}.yellow{color:#8a6d00}.red{color:#b3261e}
.chart{width:100%;height:auto;display:block;margin:.4em 0 1em}
.chart text{font-size:10px;fill:#555}.axis{stroke:#888}.zero{stroke:#b3261e;stroke-width:1}
.pace{stroke:#999;stroke-dasharray:4 3}.series{fill:none;stroke:#2357c6;stroke-width:2}
.bar{fill:#5b8def}.bar.missed{fill:#d9534f}.objective{stroke:#b3261e;stroke-dasharray:5 3}
.incident{fill:#d9534f}
.slo{break-inside:avoid-page}
@media print{body{margin:0;max-width:none;font-size:11pt}.slo{break-before:page}
  a{color:inherit;text-decoration:none}}
"""


def _service(review: ServiceReview) -> str:
    issues = "".join(
        f"<li>{escape(name)}: {rfc3339(i.start)} – {rfc3339(i.end)}, "
        f"{pct(i.budget_consumed_ratio, 1)} of the budget</li>"
        for name, i in review.key_issues
    )
    return (
        f"<h3>Service: {escape(review.service)}</h3><ul>"
        f'<li><b>SLO Status</b>: <span class="{review.status.value}">'
        f"{review.status.value.capitalize()}</span></li>"
        f"<li><b>Error Budget</b>: {pct(review.budget_remaining_ratio, 1)} remaining "
        "(lowest SLO)</li>"
        f"<li><b>Key Issues</b>: {'<ul>' + issues + '</ul>' if issues else 'none'}</li>"
        f"<li><b>Decisions</b>: <b>{review.decision.decision.value}</b> "
        f"{review.decision.risk.value}-risk releases: {escape(review.decision.rationale)}</li></ul>"
    )


def _sli(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.4f} %"


def _result(met: bool | None) -> str:
    return "no data" if met is None else ("met" if met else "missed")


def _figures(r: SLOReport) -> str:
    cur, prev = r.current, r.previous
    rows = [
        ("SLI", _sli(cur.sli), _sli(prev.sli)),
        ("result", _result(cur.met), _result(prev.met)),
        ("budget consumed", pct(cur.consumed_ratio), pct(prev.consumed_ratio)),
        ("budget remaining", pct(cur.remaining_ratio), pct(prev.remaining_ratio)),
        (
            "events (good / total)",
            f"{cur.events.good:.0f} / {cur.events.total:.0f}",
            f"{prev.events.good:.0f} / {prev.events.total:.0f}",
        ),
    ]
    if cur.remaining_events is not None and cur.remaining_seconds is not None:
        rows.append(
            (
                "remaining budget",
                f"{cur.remaining_events:.0f} events, {cur.remaining_seconds:.0f} s of outage",
                "",
            )
        )
    body = "".join(f"<tr><th>{a}</th><td>{b}</td><td>{c}</td></tr>" for a, b, c in rows)
    return f"<table><tr><th></th><th>this period</th><th>previous</th></tr>{body}</table>"


def _incidents(r: SLOReport) -> str:
    if not r.incidents:
        return ""
    rows = "".join(
        f"<tr><td>{rfc3339(i.start)}</td><td>{rfc3339(i.end)}</td>"
        f"<td>{i.peak_burn_rate:.1f}</td><td>{i.bad_events:.0f}</td>"
        f"<td>{pct(i.budget_consumed_ratio)}</td></tr>"
        for i in r.incidents[:20]
    )
    more = len(r.incidents) - 20
    note = f"<p>… and {more} smaller incidents.</p>" if more > 0 else ""
    return (
        "<table><tr><th>start</th><th>end</th><th>peak burn</th><th>bad events</th>"
        f"<th>budget consumed</th></tr>{rows}</table>{note}"
    )


def _adjustments(r: SLOReport) -> str:
    if not r.adjustments:
        return ""
    items = "".join(f"<li>{escape(adjustment_text(a))}</li>" for a in r.adjustments)
    return f"<p>Budget adjustments (their events are left out):</p><ul>{items}</ul>"


def _phase(slo: SLO) -> str:
    text = phase_text(slo)
    return f", {escape(text)}" if text else ""


def _slo(r: SLOReport, report: Report) -> str:
    slo = r.compiled.slo
    window = format_duration(r.series.step)
    advice = "".join(
        f"<li><code>{escape(x.rule)}</code>: {escape(x.text)}</li>" for x in r.recommendations
    )
    late = f"<p>Data from {rfc3339(r.data_from)} only.</p>" if r.data_from is not None else ""
    return (
        f'<section class="slo"><h2>{escape(slo.name)} <small>({escape(slo.service)}, '
        f"objective {slo.objective:g} %{_phase(slo)})</small></h2>{late}{_adjustments(r)}"
        f"{_figures(r)}"
        f"<h4>Budget burn-down</h4>{charts.burn_down(r.days)}"
        f"<h4>Daily SLI</h4>{charts.daily_sli(r.days, slo.objective)}"
        f"<h4>Incidents (burn rate over {window} above 1)</h4>"
        f"{charts.timeline(r.incidents, report.start, report.end)}{_incidents(r)}"
        + (f"<h4>Recommendations</h4><ul>{advice}</ul>" if advice else "")
        + "</section>"
    )


def to_html(report: Report) -> str:
    """The whole report as one HTML document."""
    title = f"SLO report {rfc3339(report.start)} to {rfc3339(report.end)}"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><h2>Weekly review</h2>"
        + "".join(_service(s) for s in report.services)
        + "".join(_slo(r, report) for r in report.slos)
        + "</body></html>\n"
    )
