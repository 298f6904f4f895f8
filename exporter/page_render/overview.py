"""``/``: every SLO of the page with its status, budget, burn rates, alerts and
sparkline; the filter form (a plain GET form), the summary line and the page links."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from exporter.page_render.common import bar, chart, esc, layout, num, status

STATUSES = ("healthy", "attention", "warning", "critical", "exhausted", "no_data", "unknown")
SORTS = {"name": "name", "budget": "least budget first", "-budget": "most budget first"}


@dataclass(frozen=True)
class Overview:
    """What ``/`` shows: the page's SLOs (with their daily series or why there is
    none), the status of every SLO of the config, the form's values and where we are."""

    rows: Sequence[tuple[dict[str, Any], list[dict[str, Any]] | None, str | None]]
    statuses: Sequence[str]
    matching: int
    page: int
    pages: int
    form: Mapping[str, str]
    services: Sequence[str]
    notes: Sequence[str]
    version: str
    slo_count: int


def summary_line(statuses: Sequence[str]) -> str:
    """``n healthy / n attention / ...`` over every SLO."""
    counts = Counter(statuses)
    parts = [f"{counts[s]} {s.replace('_', ' ')}" for s in STATUSES]
    return f'<p class="summary">{" / ".join(parts)}</p>'


def _select(name: str, options: Mapping[str, str], chosen: str) -> str:
    items = "".join(
        f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(t)}</option>'
        for v, t in options.items()
    )
    return f'<select name="{name}" id="f-{name}">{items}</select>'


def _form(view: Overview) -> str:
    form = view.form
    services = {"": "any service"} | {s: s for s in view.services}
    statuses = {"": "any status"} | {s: s.replace("_", " ") for s in STATUSES}
    return (
        '<form method="get" action="/">'
        f"<label>Service {_select('service', services, form.get('service', ''))}</label> "
        f'<label>Label <input name="label" id="f-label" placeholder="key:value" '
        f'value="{esc(form.get("label", ""))}"></label> '
        f"<label>Status {_select('status', statuses, form.get('status', ''))}</label> "
        f"<label>Sort {_select('sort', SORTS, form.get('sort', 'name'))}</label> "
        '<button type="submit" id="f-apply">Apply</button></form>'
    )


def _row(item: dict[str, Any], days: list[dict[str, Any]] | None, why: str | None) -> str:
    name, labels = item["name"], item["labels"]
    label_text = ", ".join(f"{esc(k)}={esc(v)}" for k, v in sorted(labels.items()))
    burns = "".join(f"<span>{esc(w)}:&nbsp;{num(b)}</span>" for w, b in item["burn_rates"].items())
    alerts = (
        "".join(  # a line each
            f'<span class="nw">{esc(a["severity"])} ({esc(", ".join(a["window_pairs"]))})</span>'
            for a in item["firing_alerts"]
        )
        or "none"
    )
    spark = (
        chart(days, 120, 24, f"budget of {name}")
        if days
        else f'<span class="muted">{esc(why)}</span>'
    )
    evaluation = item["evaluation"]
    note = (
        ""
        if evaluation["error"] is None
        else f'<br><span class="muted">{esc(evaluation["error"])}</span>'
    )
    return (
        f'<tr class="slo"><td><a href="/slo/{esc(quote(name, safe=""))}">{esc(name)}</a>{note}</td>'
        f"<td>{esc(item['service'])}</td><td>{label_text}</td>"
        f"<td>{status(item['status'])}</td>"
        f"<td>{bar(item['budget_remaining_ratio'], item['status'])}</td>"
        f'<td><span class="burns">{burns or "—"}</span></td><td>{alerts}</td><td>{spark}</td></tr>'
    )  # fmt: skip


def _pages(view: Overview) -> str:
    if view.pages <= 1:
        return ""
    kept = {k: v for k, v in view.form.items() if v}

    def href(page: int) -> str:
        return "/?" + esc(urlencode({**kept, "page": str(page)}))

    prev = f'<a href="{href(view.page - 1)}" rel="prev">previous</a>' if view.page > 1 else ""
    nxt = f'<a href="{href(view.page + 1)}" rel="next">next</a>' if view.page < view.pages else ""
    return f'<p class="pages">{prev} page {view.page} of {view.pages} {nxt}</p>'


def render(view: Overview) -> str:
    """The whole page ``/``."""
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in view.notes)
    head = (
        f'<p class="muted">version {esc(view.version)} · {view.slo_count} SLOs in the config'
        f" · {view.matching} match the filters</p>"
    )
    if view.rows:
        rows = "".join(_row(*r) for r in view.rows)
        table = (
            "<table><thead><tr><th>SLO</th><th>Service</th><th>Labels</th><th>Status</th>"
            "<th>Budget remaining</th><th>Burn rate</th><th>Firing alerts</th>"
            f"<th>Budget over the period</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        table = '<p class="empty">No SLO matches these filters.</p>'
    body = notes + head + summary_line(view.statuses) + _form(view) + table + _pages(view)
    return layout("slo-exporter", body)
