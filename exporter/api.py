"""The daemon's JSON API: ``GET /api/v1/decision?service=S&risk=R``, the release gate.

It answers from the last evaluation cycle, the same document as ``slo-exporter
decide --format json`` but without ``recovery`` (that needs extra queries, and a
request never queries the backend). A bad or missing parameter is a 400, an
unknown service a 404 and a daemon that has not finished a cycle a 503, each
with a one-line ``{"error": ...}``.
"""

from __future__ import annotations

from aiohttp import web

from exporter.daemon import Daemon
from exporter.decision_output import decision_json, standing
from exporter.domain.decision import Risk, decide
from exporter.exposition import Served

RISKS = ", ".join(r.value for r in Risk)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _failure(entry: Served) -> str:
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
        standings = [standing(e.slo, e.result, _failure(e)) for e in entries]
        verdict = decide(standings, Risk(risk), daemon.settings.policy)
        at = max((e.result.evaluated_at for e in entries if e.result is not None), default=0.0)
        return web.json_response(decision_json(service, at, verdict, standings))

    app.router.add_get("/api/v1/decision", decision)
