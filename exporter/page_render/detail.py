"""``/slo/{name}``: the burn-down over the period, the windows, the alert conditions,
the release decision per risk and the SLO's links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from exporter.domain.decision import Decision
from exporter.page_render.common import bar, chart, esc, layout, link, num, ratio, status


@dataclass(frozen=True)
class Detail:
    """What ``/slo/{name}`` shows: the API's document of the SLO and what it adds."""

    slo: dict[str, Any]
    runbook_url: str
    dashboard_url: str
    decisions: Sequence[Decision]
    notes: Sequence[str]


def _burn_down(slo: dict[str, Any]) -> str:
    days = slo["daily"]
    if not days:
        why = slo["daily_unavailable"] or "no day of the period has ended yet"
        return f'<p class="empty muted">No burn-down: {esc(why)}.</p>'
    first, last = esc(days[0]["date"]), esc(days[-1]["date"])
    svg = chart(days, 600, 160, f"budget remaining from {days[0]['date']} to {days[-1]['date']}")
    return f'<figure id="burn-down">{svg}<figcaption>{first} … {last}</figcaption></figure>'


def _windows(slo: dict[str, Any]) -> str:
    if not slo["windows"]:
        return '<p class="empty muted">No window has been evaluated yet.</p>'
    rows = "".join(
        f"<tr><td>{esc(w['window'])}</td><td>{num(w['good_events'], 6)}</td>"
        f"<td>{num(w['events'], 6)}</td><td>{ratio(w['sli'])}</td>"
        f"<td>{num(w['burn_rate'])}</td></tr>"
        for w in slo["windows"]
    )
    head = "<tr><th>Window</th><th>Good events</th><th>Events</th><th>SLI</th><th>Burn rate</th>"
    return f'<table id="windows"><thead>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _alerts(slo: dict[str, Any]) -> str:
    if not slo["alerts"]:
        return '<p class="muted">The SLO has no burn-rate alerts.</p>'
    words = {True: "<strong>firing</strong>", False: "not firing", None: "not evaluated"}
    rows = "".join(
        f"<tr><td>{esc(a['severity'])}</td>"
        f"<td>{esc(a['long_window'])} and {esc(a['short_window'])} above "
        f"{num(a['burn_rate_threshold'])}</td><td>{num(a['long_burn_rate'])} / "
        f"{num(a['short_burn_rate'])}</td><td>{words[a['firing']]}</td></tr>"
        for a in slo["alerts"]
    )
    head = "<tr><th>Severity</th><th>Window pair</th><th>Burn rates (long / short)</th><th>State"
    return f'<table id="alerts"><thead>{head}</th></tr></thead><tbody>{rows}</tbody></table>'


def _decisions(decisions: Sequence[Decision], service: str) -> str:
    if not decisions:
        return '<p class="empty muted">No release decision before the first evaluation cycle.</p>'
    rows = "".join(
        f"<tr><td>{esc(d.risk.value)}</td><td>{esc(d.decision.value)}</td>"
        f"<td>{esc(d.rationale)}</td></tr>"
        for d in decisions
    )
    return (
        f"<p>Release decision for service {esc(service)} from the last cycle:</p>"
        f'<table id="decisions"><thead><tr><th>Risk</th><th>Decision</th><th>Why</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _adjustments(slo: dict[str, Any]) -> str:
    if not slo["budget_adjustments"]:
        return ""
    rows = "".join(
        f"<tr><td>{esc(a['name'])}</td><td>{esc(a['reason'])}</td>"
        f"<td>{esc(a['rrule'] or 'once')}</td>"
        f"<td>{'<strong>in force</strong>' if a['active'] else 'not in force'}</td>"
        f"<td>{num(a['excluded_seconds'])}</td></tr>"
        for a in slo["budget_adjustments"]
    )
    head = "<tr><th>Adjustment</th><th>Reason</th><th>Repeats</th><th>Now</th>"
    return (
        "<h2>Budget adjustments</h2><p>Events inside these are left out of every window "
        "and the period.</p>"
        f'<table id="adjustments"><thead>{head}<th>Seconds of the period left out</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def render(view: Detail) -> str:
    """The whole page of one SLO."""
    slo = view.slo
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in view.notes)
    error = slo["evaluation"]["error"]
    failed = "" if error is None else f'<p class="note">Evaluation: {esc(error)}</p>'
    labels = ", ".join(f"{esc(k)}={esc(v)}" for k, v in sorted(slo["labels"].items()))
    links = [link(u, t) for u, t in ((view.runbook_url, "runbook"),
                                     (view.dashboard_url, "dashboard")) if u]  # fmt: skip
    api = f'<a href="/api/v1/slos/{esc(quote(slo["name"], safe=""))}">JSON</a>'
    body = (
        notes + failed
        + f"<p>Service {esc(slo['service'])} · labels {labels or '—'} · objective "
        f"{ratio(slo['objective_ratio'])} · {status(slo['status'])} · "
        f"{bar(slo['budget_remaining_ratio'], slo['status'])}</p>"
        + f"<p>{' · '.join([*links, api])}</p>"
        + "<h2>Budget over the period</h2>" + _burn_down(slo)
        + "<h2>Windows</h2>" + _windows(slo)
        + "<h2>Alert conditions</h2>" + _alerts(slo)
        + _adjustments(slo)
        + "<h2>Release decision</h2>" + _decisions(view.decisions, slo["service"])
    )  # fmt: skip
    return layout(f"SLO {slo['name']}", body)
