"""The daemon's JSON API: ``/api/v1/decision`` (the release gate), ``/api/v1/slos``,
``/api/v1/slos/{name}``, ``/api/v1/status`` and ``/api/v1/openapi.json``.

Every route answers from the last cycle (and, for an SLO's daily series, the history
store), never from the backend; documents are built in a worker thread, once per cycle
(:mod:`exporter.cycle_documents`).

It answers from the last evaluation cycle, the same document as ``slo-exporter
decide --format json`` but without ``recovery`` (that needs extra queries, and a
request never queries the backend). A bad or missing parameter is a 400, an
unknown service a 404 and a daemon that has not finished a cycle a 503, each
with a one-line ``{"error": ...}``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from exporter import api_slos, openapi
from exporter.cycle_documents import documents, unknown_slo
from exporter.daemon import Daemon
from exporter.decision_output import decision_json, standing
from exporter.domain.decision import Risk, decide
from exporter.exposition import Served

RISKS = ", ".join(r.value for r in Risk)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _dumps(document: Any) -> bytes:
    return json.dumps(document, allow_nan=False).encode()


def _json_text(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json")


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
        try:
            filters = api_slos.parse_filters(
                request.query, request.query.getall("label", []), request.query.getall("status", [])
            )
        except api_slos.BadQuery as exc:
            return _error(400, str(exc))
        snapshot = await documents(request).current()
        key = ("api", filters["service"], tuple(filters["labels"]),
               tuple(sorted(filters["statuses"])), filters["sort"])  # fmt: skip
        text = await documents(request).derive(snapshot, key, lambda s: _dumps(
            {**s.cycle, "slos": api_slos.select(s.summaries, filters)}
        ))  # fmt: skip
        return _json_text(text)

    async def slo(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        text = await documents(request).slo_document(name, ("api", name), lambda s: _dumps(
            {**s.cycle, "slo": api_slos.detail(s.entries[name], s.failed, s.daily(name))}
        ))  # fmt: skip
        return _error(404, unknown_slo(name)) if text is None else _json_text(text)

    async def status(request: web.Request) -> web.Response:
        return web.json_response(api_slos.status(request.app[daemon_key]))

    async def document(request: web.Request) -> web.Response:
        return web.json_response(openapi.DOCUMENT)

    app.router.add_get("/api/v1/slos", slos)
    # ".+": a group's name may hold a "/" (api-availability{route="/pay"}), sent as %2F
    app.router.add_get(r"/api/v1/slos/{name:[\s\S]+}", slo)
    app.router.add_get("/api/v1/status", status)
    app.router.add_get("/api/v1/openapi.json", document)
