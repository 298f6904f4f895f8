"""The status page: ``/`` (every SLO, filtered, sorted and paged) and ``/slo/{name}``.

Built on the JSON API's data functions (:mod:`exporter.api_slos`,
:mod:`exporter.api_daily`), so the page and the API never disagree; a page view reads
the last cycle and the history store, never the backend. Pages are built in a worker
thread (10,000 SLOs make a big page), once per cycle and filter
(:mod:`exporter.cycle_documents`). A bad filter is a 400 with one line.
"""

from __future__ import annotations

import math

from aiohttp import web

from exporter import __version__, api_slos
from exporter.api import failure
from exporter.cycle_documents import Snapshot, documents, unknown_slo
from exporter.daemon import Daemon
from exporter.decision_output import standing
from exporter.domain.decision import Risk, decide
from exporter.page_render import detail, overview

PER_PAGE = 100
FORM = ("service", "label", "status", "sort")


def notes(daemon: Daemon) -> list[str]:
    """Why the figures may be missing or old: before the first cycle, backend down, store."""
    out = []
    run = daemon.served.last_run
    if daemon.cycles == 0:
        out.append("No evaluation cycle has finished yet: figures appear after the first one.")
    elif run is not None and not run.backend_reachable:
        out.append(
            "The backend failed in the last cycle (down or answering badly): "
            "figures are the last good ones; each SLO says why."
        )
    elif run is not None and run.failures:
        out.append(f"{len(run.failures)} SLOs failed to evaluate in the last cycle.")
    if daemon.store is not None and daemon.cycles and (daemon.store_filling or not daemon.ready):
        out.append(
            "The history store is still filling: daily series appear once it covers the period."
        )
    return out  # fmt: skip


def _filters(request: web.Request) -> tuple[dict[str, str], dict[str, object], int]:
    """The form's values, the API's filters from them and the page (raises BadQuery)."""
    form = {k: request.query.get(k, "").strip() for k in FORM}
    given = {k: v for k, v in form.items() if v and k not in ("label", "status")}
    unknown = sorted(set(request.query) - {*FORM, "page"})
    if unknown:
        raise api_slos.BadQuery(f"unknown parameter {unknown[0]!r}: use {', '.join(FORM)} or page")
    labels = [form["label"]] if form["label"] else []
    statuses = [form["status"]] if form["status"] else []
    filters = api_slos.parse_filters(given, labels, statuses)
    text = request.query.get("page", "1")
    if not text.isdigit() or int(text) < 1:
        raise api_slos.BadQuery(f"parameter 'page' must be a whole number from 1; got {text!r}")
    return form, filters, int(text)


def _overview(snap: Snapshot, form: dict[str, str], filters: dict[str, object], page: int) -> str:
    chosen = api_slos.select(snap.summaries, filters)
    pages = max(1, math.ceil(len(chosen) / PER_PAGE))
    page = min(page, pages)
    shown = chosen[(page - 1) * PER_PAGE : page * PER_PAGE]
    rows = []
    for item in shown:
        days = snap.daily(item["name"])
        rows.append((item, days.days, days.unavailable))
    return overview.render(overview.Overview(
        rows, snap.statuses, len(chosen), page, pages, form, snap.services, snap.notes,
        __version__, len(snap.entries),
    ))  # fmt: skip


def _detail(snap: Snapshot, name: str) -> str:
    entry = snap.entries[name]
    days = snap.daily(name)
    siblings = [e for e in snap.entries.values() if e.slo.service == entry.slo.service]
    standings = [standing(e.slo, e.result, failure(e)) for e in siblings]
    evaluated = snap.cycle["state"] == "evaluated"
    decisions = [decide(standings, r, snap.policy) for r in Risk] if evaluated else []
    slo = entry.slo
    return detail.render(detail.Detail(
        api_slos.detail(entry, snap.failed, days), slo.runbook_url, slo.dashboard_url, decisions,
        snap.notes,
    ))  # fmt: skip


def warm(snap: Snapshot) -> None:
    """Render the page everyone opens first (no filter, page 1) ahead of requests. Blocking."""
    form = dict.fromkeys(FORM, "")
    filters = api_slos.parse_filters({}, [], [])
    snap.derive(_page_key(form, 1), lambda: _overview(snap, form, filters, 1))


def _page_key(form: dict[str, str], page: int) -> object:
    return ("page", tuple(sorted(form.items())), page)


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", charset="utf-8")


def _one_line(status: int, message: str) -> web.Response:
    return web.Response(text=message + "\n", status=status, content_type="text/plain")


def register(app: web.Application, daemon_key: web.AppKey[Daemon]) -> None:
    """Serve ``/`` and ``/slo/{name}`` from the daemon's cycle documents."""

    async def index(request: web.Request) -> web.Response:
        try:
            form, filters, page = _filters(request)
        except api_slos.BadQuery as exc:
            return _one_line(400, str(exc))
        snap = await documents(request).current()
        text = await documents(request).derive(
            snap, _page_key(form, page), lambda s: _overview(s, form, filters, page)
        )
        return _html(text)

    async def slo(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        text = await documents(request).slo_document(
            name, ("slo-page", name), lambda s: _detail(s, name)
        )
        return _one_line(404, unknown_slo(name)) if text is None else _html(text)

    app.router.add_get("/", index)
    app.router.add_get(r"/slo/{name:[\s\S]+}", slo)  # a group's name may hold a "/"
