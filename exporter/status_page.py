"""The status page: ``/`` (every SLO, filtered, sorted and paged) and ``/slo/{name}``.

Built on the JSON API's data functions (:mod:`exporter.api_slos`,
:mod:`exporter.api_daily`), so the page and the API never disagree; a page view reads
the last cycle and the history store, never the backend. Pages are built in a worker
thread (10,000 SLOs make a big page). A bad filter is a 400 with one line.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from aiohttp import web

from exporter import __version__, api_daily, api_slos
from exporter.api import failure
from exporter.daemon import Daemon
from exporter.decision_output import standing
from exporter.domain.decision import Risk, decide
from exporter.exposition import Served
from exporter.page_render import detail, overview
from exporter.pipeline.store_steps import StoreSteps

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


def _overview(daemon: Daemon, form: dict[str, str], filters: dict[str, object], page: int) -> str:
    entries, failed = daemon.served.entries(), daemon.served.failed
    everything = [api_slos.summary(e, failed) for e in entries]
    chosen = api_slos.slo_list(entries, failed, filters)
    pages = max(1, math.ceil(len(chosen) / PER_PAGE))
    page = min(page, pages)
    shown = chosen[(page - 1) * PER_PAGE : page * PER_PAGE]
    steps = StoreSteps(daemon.store) if daemon.store is not None else None
    compiled = {c.slo.name: c for c in daemon.generation.slos}
    by_name = {e.slo.name: e for e in entries}
    rows = []
    for item in shown:
        days = api_daily.daily(compiled.get(item["name"]), by_name[item["name"]].result, steps)
        rows.append((item, days.days, days.unavailable))
    return overview.render(overview.Overview(
        rows, [s["status"] for s in everything], len(chosen), page, pages, form,
        sorted({e.slo.service for e in entries}), notes(daemon), __version__, len(daemon.slos),
    ))  # fmt: skip


def _detail(daemon: Daemon, entry: Served) -> str:
    name, failed = entry.slo.name, daemon.served.failed
    compiled = next((c for c in daemon.generation.slos if c.slo.name == name), None)
    steps = StoreSteps(daemon.store) if daemon.store is not None else None
    days = api_daily.daily(compiled, entry.result, steps)
    siblings = [e for e in daemon.served.entries() if e.slo.service == entry.slo.service]
    standings = [standing(e.slo, e.result, failure(e)) for e in siblings]
    policy = daemon.settings.policy
    decisions = [decide(standings, r, policy) for r in Risk] if daemon.cycles else []
    slo = entry.slo
    return detail.render(detail.Detail(
        api_slos.detail(entry, failed, days), slo.runbook_url, slo.dashboard_url, decisions,
        notes(daemon),
    ))  # fmt: skip


async def _html(build: Callable[[], str], status: int = 200) -> web.Response:
    text = await asyncio.to_thread(build)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _one_line(status: int, message: str) -> web.Response:
    return web.Response(text=message + "\n", status=status, content_type="text/plain")


def register(app: web.Application, daemon_key: web.AppKey[Daemon]) -> None:
    """Serve ``/`` and ``/slo/{name}`` from the daemon stored under ``daemon_key``."""

    async def index(request: web.Request) -> web.Response:
        try:
            form, filters, page = _filters(request)
        except api_slos.BadQuery as exc:
            return _one_line(400, str(exc))
        daemon = request.app[daemon_key]
        return await _html(lambda: _overview(daemon, form, filters, page))

    async def slo(request: web.Request) -> web.Response:
        daemon = request.app[daemon_key]
        name = request.match_info["name"]
        entry = next((e for e in daemon.served.entries() if e.slo.name == name), None)
        if entry is None:
            return _one_line(404, f"no SLO of the config is named {name!r}")
        return await _html(lambda: _detail(daemon, entry))

    app.router.add_get("/", index)
    app.router.add_get("/slo/{name}", slo)
