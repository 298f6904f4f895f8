"""Loaded SLOs back to OpenSLO v1 documents: ``slo-exporter convert --to openslo``.

The input is the loaded config (:class:`~exporter.settings.Settings`), so
defaults, tiers, exclusions and service templates are already applied and
every SLO is written in full:

===================================  =============================================
native (as loaded)                   OpenSLO v1
===================================  =============================================
``backend.url``                      ``DataSource`` ``prometheus``
``name``, ``labels``                 ``metadata.name``, ``metadata.labels``
``service``, ``description``         ``spec.service``, ``spec.description``
``period`` / ``calendar``            ``timeWindow`` (rolling, or calendar from a
                                     natural boundary in the time zone)
``objective``                        ``objectives[0].targetPercent``
``budgeting``                        ``budgetingMethod`` (+ slice window, target)
``ratio``/``query`` SLI              ``ratioMetric`` (``counter: true``)
``raw`` SLI                          ``ratioMetric`` ``raw`` + ``rawType``
``threshold`` SLI                    ``thresholdMetric`` + objective ``op``, ``value``
``alerts``                           an inline ``AlertPolicy`` of ``burnrate``
                                     conditions (``alertAfter``: the short window)
===================================  =============================================

Read back by :mod:`exporter.openslo`, the documents give the same SLOs.
Refusals are ``(native path, message)`` findings, so the command can report
them where the input wrote the field.
What OpenSLO cannot say is refused, one line each, never dropped: SLI kinds
without an OpenSLO form (latency, bool_gauge, throughput, freshness), an SLO
without alerts (OpenSLO's "no alert policies" means the defaults),
``min_events``, a ``no_data`` policy, runbook and dashboard links, an
``alert_name`` and alert labels or annotations, and backend settings beyond
the URL. Status thresholds are how the exporter
names a state, not part of the SLO, and are not written.
"""

from __future__ import annotations

from typing import Any

from exporter.domain.budgeting import Method, NoData
from exporter.domain.model import SLO, QuerySLI, RatioSLI, RawSLI, ThresholdSLI
from exporter.openslo.detect import API_VERSION
from exporter.settings import BackendSettings, Settings, url_password
from exporter.yaml_lines import YamlPath

Findings = list[tuple[YamlPath, str]]
SOURCE = "prometheus"
CALENDAR = {"week": "1w", "month": "1M", "quarter": "1Q"}
# 1 January 2024 was a Monday: a week's, a month's and a quarter's natural start.
CALENDAR_START = "2024-01-01T00:00:00"
METHODS = {
    Method.OCCURRENCES: "Occurrences",
    Method.TIMESLICES: "Timeslices",
    Method.RATIO_TIMESLICES: "RatioTimeslices",
}
_UNITS = (("d", 86400), ("h", 3600), ("m", 60))
_KINDS = {
    "LatencySLI": "latency",
    "BoolGaugeSLI": "bool_gauge",
    "ThroughputSLI": "throughput",
    "FreshnessSLI": "freshness",
    "CompositeSLI": "composite",
}


def shorthand(seconds: int) -> str | None:
    """``seconds`` in OpenSLO's one-unit shorthand (``28d``, ``6h``, ``5m``); None if none fits."""
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return None


def _object(kind: str, name: str, spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, **metadata},
        "spec": spec,
    }


def _source(query: str) -> dict[str, Any]:
    return {"metricSource": {"metricSourceRef": SOURCE, "spec": {"query": query}}}


def _indicator(slo: SLO, at: YamlPath, problems: Findings) -> dict[str, Any] | None:
    sli = slo.sli
    if isinstance(sli, RatioSLI | QuerySLI):
        metric: dict[str, Any] = {"counter": True}
        if sli.good is not None:
            metric["good"] = _source(sli.good)
        if sli.bad is not None:
            metric["bad"] = _source(sli.bad)
        metric["total"] = _source(sli.total)
        return {"ratioMetric": metric}
    if isinstance(sli, RawSLI):
        raw_type = "failure" if sli.failure else "success"
        return {"ratioMetric": {"rawType": raw_type, "raw": _source(sli.query)}}
    if isinstance(sli, ThresholdSLI):
        return {"thresholdMetric": _source(sli.query)}
    kind = _KINDS.get(type(sli).__name__, type(sli).__name__)
    field = (*at, "composite") if kind == "composite" else (*at, "sli", kind)
    problems.append((field, f"a {kind} SLI has no OpenSLO form"))
    return None


def _time_window(slo: SLO, at: YamlPath, problems: Findings) -> list[dict[str, Any]] | None:
    if slo.calendar is not None:
        calendar = {"startTime": CALENDAR_START, "timeZone": slo.calendar.tz_name}
        unit = CALENDAR[slo.calendar.unit.value]
        return [{"duration": unit, "isRolling": False, "calendar": calendar}]
    duration = shorthand(slo.period)
    if duration is None:
        problems.append(((*at, "period"), "OpenSLO durations are whole minutes"))
        return None
    return [{"duration": duration, "isRolling": True}]


def _objective(slo: SLO) -> dict[str, Any]:
    objective: dict[str, Any] = {"targetPercent": slo.objective}
    if isinstance(slo.sli, ThresholdSLI):
        objective.update(op=slo.sli.op, value=slo.sli.value)
    if slo.budgeting.method is not Method.OCCURRENCES:
        objective["timeSliceWindow"] = shorthand(slo.budgeting.slice)
    if slo.budgeting.method is Method.TIMESLICES:
        objective["timeSliceTarget"] = slo.budgeting.slice_target / 100
    return objective


def _alerts(slo: SLO, at: YamlPath, problems: Findings) -> list[dict[str, Any]] | None:
    if not slo.alerts:
        problems.append(
            (
                (*at, "alerts"),
                "an SLO without alerts has no OpenSLO form (an SLO without alertPolicies "
                "gets the default alerts)",
            )
        )
        return None
    conditions = []
    seen: set[tuple[str, int, int]] = set()
    for index, rule in enumerate(slo.alerts):
        key = (rule.severity, rule.long_window, rule.short_window)
        if rule.labels or rule.annotations:
            message = "alert labels and annotations have no OpenSLO form"
            problems.append(((*at, "alerts", index), message))
            continue
        if key in seen:
            message = "an alert with this severity and these windows is given twice; OpenSLO "
            problems.append(((*at, "alerts", index), message + "takes each once"))
            continue
        seen.add(key)
        condition = {
            "kind": "burnrate",
            "op": "gt",
            "threshold": rule.factor,
            "lookbackWindow": shorthand(rule.long_window),
            "alertAfter": shorthand(rule.short_window),
        }
        if None in condition.values():
            problems.append(((*at, "alerts", index), "windows must be whole minutes"))
            continue
        spec = {"severity": rule.severity, "condition": condition}
        conditions.append(_object("AlertCondition", f"{slo.name}-{index + 1}", spec))
    policy = _object("AlertPolicy", f"{slo.name}-alerts", {"conditions": conditions})
    return [policy]


def _refusals(slo: SLO, at: YamlPath) -> Findings:
    found = {
        "min_events": slo.min_events != 0,
        "no_data": slo.no_data is not NoData.SKIP,
        "runbook_url": bool(slo.runbook_url),
        "dashboard_url": bool(slo.dashboard_url),
        "alert_name": bool(slo.alert_name),
        "group_by": slo.grouping is not None,
    }
    return [((*at, key), f"{key} has no OpenSLO form") for key, set_ in found.items() if set_]


def _slo(slo: SLO, at: YamlPath, problems: Findings) -> dict[str, Any] | None:
    before = len(problems)
    problems.extend(_refusals(slo, at))
    indicator = _indicator(slo, at, problems)
    window = _time_window(slo, at, problems)
    alerts = _alerts(slo, at, problems)
    if len(problems) > before:
        return None
    spec: dict[str, Any] = {}
    if slo.description:
        spec["description"] = slo.description
    spec["service"] = slo.service
    spec["indicator"] = {"metadata": {"name": f"{slo.name}-sli"}, "spec": indicator}
    spec["timeWindow"] = window
    spec["budgetingMethod"] = METHODS[slo.budgeting.method]
    spec["objectives"] = [_objective(slo)]
    spec["alertPolicies"] = alerts
    labels = {"labels": dict(slo.labels)} if slo.labels else {}
    return _object("SLO", slo.name, spec, **labels)


def _data_source(backend: BackendSettings, problems: Findings) -> dict[str, Any]:
    if url_password(backend.url):
        problems.append((("backend", "url"), "the URL carries a password; OpenSLO has no secrets"))
    extra = {
        "headers": bool(backend.headers or backend.secret_headers),
        "tls_verify": not backend.tls_verify,
        "ca_file": backend.ca_file is not None,
    }
    problems.extend(
        (("backend", key), f"backend.{key} has no OpenSLO form")
        for key, set_ in extra.items()
        if set_
    )
    spec = {"type": "Prometheus", "connectionDetails": {"url": backend.url}}
    return _object("DataSource", SOURCE, spec)


def to_openslo(settings: Settings) -> tuple[list[dict[str, Any]], Findings]:
    """The OpenSLO documents of a loaded config, or (when any) what OpenSLO cannot say."""
    problems: Findings = []
    documents = [_data_source(settings.backend, problems)]
    for index, slo in enumerate(settings.slos):
        document = _slo(slo, ("slos", index), problems)
        if document is not None:
            documents.append(document)
    return documents, problems
