"""The daemon's JSON API: ``/api/v1/decision`` (the release gate), ``/api/v1/slos``,
``/api/v1/slos/{name}``, ``/api/v1/status`` and ``/api/v1/openapi.json``.

Every route answers from the last cycle (and, for an SLO's daily series, the history
store), never from the backend; documents are built in a worker thread.

It answers from the last evaluation cycle, the same document as ``slo-exporter
decide --format json`` but without ``recovery`` (that needs extra queries, and a
request never queries the backend). A bad or missing parameter is a 400, an
unknown service a 404 and a daemon that has not finished a cycle a 503, each
with a one-line ``{"error": ...}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from exporter import api_daily, api_slos, openapi
from exporter.daemon import Daemon
from exporter.decision_output import decision_json, standing
from exporter.domain.decision import Risk, decide
from exporter.exposition import Served
from exporter.pipeline.store_steps import StoreSteps

RISKS = ", ".join(r.value for r in Risk)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json(build: Callable[[], Any]) -> web.Response:
    """Build and serialise a document in a worker thread (10,000 SLOs take a while)."""
    text = await asyncio.to_thread(lambda: json.dumps(build(), allow_nan=False))
    return web.Response(text=text, content_type="application/json")


def failure(entry: Served) -> str:
    """Why an SLO has no current status: '' when it has one."""
    if entry.fresh:
        return ""
    return "not evaluated yet" if entry.result is None else "the last evaluation failed"


def register(app: web.Application, daemon_key: web.AppKey[Daemon]) -> None:
    """Serve the API's routes from the daemon stored under ``daemon_key``."""

    async def decision(request: web.Request) -> web.Response:
        service, risk = request.query.get("service", ""), request.query.get("risk", "")
        if not service:
            return _error(400, "missing parameter 'service': give ?service=NAME&risk=low")
        if risk not in {r.value for r in Risk}:
            given = f"got {risk!r}" if risk else "it is missing"
            return _error(400, f"parameter 'risk' must be one of {RISKS}; {given}")
        daemon = request.app[daemon_key]
        entries = [e for e in daemon.served.entries() if e.slo.service == service]
        if not entries:
            return _error(404, f"no SLO of the config has service {service!r}")
        if daemon.cycles == 0:
            return _error(503, "no evaluation cycle has finished yet; try again shortly")
        standings = [standing(e.slo, e.result, failure(e)) for e in entries]
        verdict = decide(standings, Risk(risk), daemon.settings.policy)
        at = max((e.result.evaluated_at for e in entries if e.result is not None), default=0.0)
        return web.json_response(decision_json(service, at, verdict, standings))

    app.router.add_get("/api/v1/decision", decision)
    _register_slos(app, daemon_key)


def _register_slos(app: web.Application, daemon_key: web.AppKey[Daemon]) -> None:
    async def slos(request: web.Request) -> web.Response:
        daemon = request.app[daemon_key]
        try:
            filters = api_slos.parse_filters(
                request.query, request.query.getall("label", []), request.query.getall("status", [])
            )
        except api_slos.BadQuery as exc:
            return _error(400, str(exc))
        entries, failed = daemon.served.entries(), daemon.served.failed
        cycle = _cycle(daemon)
        return await _json(lambda: {**cycle, "slos": api_slos.slo_list(entries, failed, filters)})

    async def slo(request: web.Request) -> web.Response:
        daemon = request.app[daemon_key]
        name = request.match_info["name"]
        entry = next((e for e in daemon.served.entries() if e.slo.name == name), None)
        if entry is None:
            return _error(404, f"no SLO of the config is named {name!r}")
        compiled = next((c for c in daemon.generation.slos if c.slo.name == name), None)
        failed, cycle = daemon.served.failed, _cycle(daemon)
        steps = StoreSteps(daemon.store) if daemon.store is not None else None

        def build() -> dict[str, Any]:
            days = api_daily.daily(compiled, entry.result, steps)
            return {**cycle, "slo": api_slos.detail(entry, failed, days)}

        return await _json(build)

    async def status(request: web.Request) -> web.Response:
        return web.json_response(api_slos.status(request.app[daemon_key]))

    async def document(request: web.Request) -> web.Response:
        return web.json_response(openapi.DOCUMENT)

    app.router.add_get("/api/v1/slos", slos)
    # ".+": a group's name may hold a "/" (api-availability{route="/pay"}), sent as %2F
    app.router.add_get("/api/v1/slos/{name:.+}", slo)
    app.router.add_get("/api/v1/status", status)
    app.router.add_get("/api/v1/openapi.json", document)


def _cycle(daemon: Daemon) -> dict[str, Any]:
    run = daemon.served.last_run
    return api_slos.cycle_state(daemon.cycles, None if run is None else run.at)
