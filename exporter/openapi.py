"""The OpenAPI 3.1 document of the JSON API, served at ``/api/v1/openapi.json``.

Written as data next to the code it describes; tests/test_api_schema.py runs
schemathesis against a daemon serving it, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from exporter import __version__
from exporter.domain.decision import Risk, Verdict
from exporter.domain.model import Status

JSON = dict[str, Any]


def _nullable(kind: str) -> JSON:
    return {"type": [kind, "null"]}


def _object(properties: JSON, *, extra: bool = False) -> JSON:
    return {
        "type": "object",
        "required": sorted(properties),
        "properties": properties,
        "additionalProperties": extra,
    }


NUMBER, INTEGER, STRING = _nullable("number"), _nullable("integer"), _nullable("string")
STATUS = {"type": "string", "enum": [s.value for s in Status]}

ERROR = _object({"error": {"type": "string"}})
CYCLE = {
    "state": {"type": "string", "enum": ["before_first_cycle", "evaluated"]},
    "evaluated_at": NUMBER,
}
EVALUATION = _object(
    {"state": {"type": "string", "enum": ["ok", "failed", "pending"]}, "error": STRING}
)
SUMMARY = {
    "name": {"type": "string"},
    "service": {"type": "string"},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "objective_ratio": {"type": "number"},
    "status": STATUS,
    "evaluation": {"$ref": "#/components/schemas/Evaluation"},
    "evaluated_at": NUMBER,
    "budget_remaining_ratio": NUMBER,
    "burn_rates": {"type": "object", "additionalProperties": NUMBER},
    "firing_alerts": {
        "type": "array",
        "items": _object(
            {
                "severity": {"type": "string"},
                "window_pairs": {"type": "array", "items": {"type": "string"}},
            }
        ),
    },
}
WINDOW = _object(
    {
        "window": {"type": "string"},
        "seconds": {"type": "integer"},
        "good_events": NUMBER,
        "events": NUMBER,
        "sli": NUMBER,
        "burn_rate": NUMBER,
    }
)
ALERT = _object(
    {
        "severity": {"type": "string"},
        "long_window": {"type": "string"},
        "short_window": {"type": "string"},
        "burn_rate_threshold": NUMBER,
        "long_burn_rate": NUMBER,
        "short_burn_rate": NUMBER,
        "firing": _nullable("boolean"),
    }
)
ADJUSTMENT = _object(
    {
        "name": {"type": "string"},
        "reason": {"type": "string"},
        "rrule": STRING,
        "active": {"type": "boolean"},
        "excluded_seconds": NUMBER,
    }
)
DAY = _object({"date": {"type": "string"}, "sli": NUMBER, "budget_remaining_ratio": NUMBER})
DETAIL = _object(
    {
        **SUMMARY,
        "period": _object(
            {"calendar": STRING, "seconds": NUMBER, "start": NUMBER, "elapsed_ratio": NUMBER}
        ),
        "windows": {"type": "array", "items": WINDOW},
        "budget": _object(
            {
                "consumed_ratio": NUMBER,
                "remaining_ratio": NUMBER,
                "remaining_events": NUMBER,
                "remaining_seconds": NUMBER,
                "exhaustion_seconds": NUMBER,
            }
        ),
        "alerts": {"type": "array", "items": ALERT},
        "daily": {"type": ["array", "null"], "items": DAY},
        "daily_unavailable": STRING,
        "budget_adjustments": {"type": "array", "items": ADJUSTMENT},
    }
)
STATUS_DOCUMENT = _object(
    {
        "version": {"type": "string"},
        "ready": {"type": "boolean"},
        "config": _object({"reload_ok": {"type": "boolean"}, "reloaded_at": {"type": "number"}}),
        "cycles": {"type": "integer"},
        "last_cycle": {
            "oneOf": [
                {"type": "null"},
                _object(
                    {
                        "evaluated_at": {"type": "number"},
                        "finished_at": {"type": "number"},
                        "duration_seconds": NUMBER,
                        "result": {"type": "string", "enum": ["success", "failure"]},
                        "slos_evaluated": {"type": "integer"},
                        "slos_failed": {"type": "integer"},
                    }
                ),
            ]
        },
        "backend": _object(
            {"url": STRING, "state": {"type": "string", "enum": ["up", "down", "unknown"]}}
        ),
        "store": _object(
            {
                "state": {"type": "string", "enum": ["none", "starting", "filling", "ready"]},
                "path": STRING,
            }
        ),
        "slos": {"type": "integer"},
        "shard": {"type": "string"},
    }
)
DECISION = {
    "type": "object",
    "required": ["service", "decision", "exit_code", "slos"],
    "properties": {
        "service": {"type": "string"},
        "decision": {"type": "string", "enum": [v.value for v in Verdict]},
        "exit_code": {"type": "integer"},
        "slos": {"type": "array", "items": {"type": "object"}},
    },
}


def _error_responses(*codes: int) -> JSON:
    reasons = {400: "A bad parameter", 404: "Nothing by that name", 503: "No cycle yet"}
    return {
        str(code): {
            "description": reasons[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def _ok(description: str, schema: JSON) -> JSON:
    return {
        "200": {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def _query(name: str, schema: JSON, description: str, *, required: bool = False) -> JSON:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


PATHS: JSON = {
    "/api/v1/slos": {
        "get": {
            "summary": "Every SLO of the last cycle, filtered and sorted",
            "parameters": [
                _query("service", {"type": "string"}, "Only the SLOs of this service"),
                _query(
                    "label",
                    {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:"}},
                    "key:value; repeat to require several labels",
                ),
                _query("status", {"type": "array", "items": STATUS}, "Any of these statuses"),
                _query(
                    "sort",
                    {"type": "string", "enum": ["name", "budget", "-budget"]},
                    "budget: least budget remaining first; -budget: most first",
                ),
            ],
            "responses": {
                **_ok(
                    "The SLOs",
                    _object(
                        {
                            **CYCLE,
                            "slos": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Summary"},
                            },
                        }
                    ),
                ),
                **_error_responses(400),
            },
        }
    },
    "/api/v1/slos/{name}": {
        "get": {
            "summary": "One SLO: windows, budget, alert conditions and the daily series",
            "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                **_ok(
                    "The SLO", _object({**CYCLE, "slo": {"$ref": "#/components/schemas/Detail"}})
                ),
                **_error_responses(404),
            },
        }
    },
    "/api/v1/status": {
        "get": {
            "summary": "Build, config reload, last cycle, backend and store state",
            "responses": _ok("The daemon's state", {"$ref": "#/components/schemas/Status"}),
        }
    },
    "/api/v1/decision": {
        "get": {
            "summary": "The release decision for a service at a risk",
            "parameters": [
                _query("service", {"type": "string", "minLength": 1}, "The service", required=True),
                _query(
                    "risk", {"type": "string", "enum": [r.value for r in Risk]}, "", required=True
                ),
            ],
            "responses": {
                **_ok("The decision", DECISION),
                **_error_responses(400, 404, 503),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": _ok("OpenAPI 3.1", {"type": "object"}),
        }
    },
}

DOCUMENT: JSON = {
    "openapi": "3.1.0",
    "info": {
        "title": "slo-exporter API",
        "version": __version__,
        "description": "Numbers of the last evaluation cycle; never queries the backend.",
    },
    "paths": PATHS,
    "components": {
        "schemas": {
            "Error": ERROR,
            "Evaluation": EVALUATION,
            "Summary": _object(SUMMARY),
            "Detail": DETAIL,
            "Status": STATUS_DOCUMENT,
        }
    },
}
