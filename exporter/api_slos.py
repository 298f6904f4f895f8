"""The JSON documents of ``/api/v1/slos``, ``/api/v1/slos/{name}`` and ``/api/v1/status``.

Plain functions of what the daemon serves (the last cycle's entries), so the status
page can build on them too. They never query the backend; the daily series reads the
history store (blocking: call them in a worker thread). Numbers are the ones the
``slo_*`` gauges show for the same cycle; what is not finite is ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from exporter import __version__
from exporter.api_daily import Daily
from exporter.daemon import Daemon
from exporter.domain.adjustments import excluded_seconds
from exporter.domain.durations import format_duration
from exporter.domain.evaluate import SLOResult, WindowResult
from exporter.domain.model import Status
from exporter.domain.status import reported_status
from exporter.exposition import Served

JSON = dict[str, Any]
STATUSES = tuple(s.value for s in Status)
SORTS = ("name", "budget", "-budget")


class BadQuery(ValueError):
    """A filter the client got wrong (one line: a 400)."""


def number(value: float | None) -> float | None:
    """``value``, or None when it is missing, NaN or infinite (JSON has no such numbers)."""
    return value if value is not None and math.isfinite(value) else None


def evaluation_state(entry: Served, failed: Mapping[str, str]) -> JSON:
    """Whether the SLO's numbers are current: ``ok``, ``failed`` (of the last cycle; any
    numbers are the last good ones) or ``pending`` (not evaluated yet)."""
    name = entry.slo.name
    if entry.fresh and entry.result is not None:
        return {"state": "ok", "error": None}
    if name in failed:
        return {"state": "failed", "error": failed[name]}
    if entry.result is None:
        return {"state": "pending", "error": None}
    return {"state": "failed", "error": "the last evaluation failed"}


def _window(label: str, wr: WindowResult) -> JSON:
    return {
        "window": label,
        "seconds": wr.window,
        "good_events": number(wr.events.good),
        "events": number(wr.events.total),
        "sli": number(wr.sli),
        "burn_rate": number(wr.burn_rate),
    }


def _budget(result: SLOResult | None) -> JSON:
    if result is None:
        return dict.fromkeys(
            ("consumed_ratio", "remaining_ratio", "remaining_events", "remaining_seconds"),
        ) | {"exhaustion_seconds": None}
    return {
        "consumed_ratio": number(result.consumed_ratio),
        "remaining_ratio": number(result.remaining_ratio),
        "remaining_events": number(result.remaining_events),
        "remaining_seconds": number(result.remaining_seconds),
        "exhaustion_seconds": number(result.exhaustion_seconds),
    }


def summary(entry: Served, failed: Mapping[str, str]) -> JSON:
    """One SLO as ``/api/v1/slos`` lists it (a group's labels with the SLO's own, as on
    its series)."""
    slo, result = entry.slo, entry.result
    status = reported_status(result.status if entry.fresh and result is not None else None)
    windows = [] if result is None else result.labelled_windows()
    return {
        "name": slo.name,
        "service": slo.service,
        "labels": {**slo.labels, **slo.group},
        "objective_ratio": entry.in_force.objective / 100.0,
        "status": status.value,
        "evaluation": evaluation_state(entry, failed),
        "evaluated_at": None if result is None else result.evaluated_at,
        "budget_remaining_ratio": None if result is None else number(result.remaining_ratio),
        "burn_rates": {label: number(wr.burn_rate) for label, wr in windows},
        "firing_alerts": [] if result is None else firing(result),
    }  # fmt: skip


def firing(result: SLOResult) -> list[JSON]:
    """Each severity with a firing condition once, with its firing window pairs
    (``long/short``), in the order of the SLO's alerts."""
    pairs: dict[str, list[str]] = {}
    for condition in result.alerts:
        if condition.firing:
            rule = condition.rule
            pair = f"{format_duration(rule.long_window)}/{format_duration(rule.short_window)}"
            pairs.setdefault(rule.severity, []).append(pair)
    return [{"severity": s, "window_pairs": p} for s, p in pairs.items()]


def _alerts(entry: Served) -> list[JSON]:
    result = entry.result
    firing = {} if result is None else {c.rule: c.firing for c in result.alerts}
    windows = {} if result is None else result.windows

    def burn(window: int) -> float | None:
        wr = windows.get(window)
        return None if wr is None else number(wr.burn_rate)

    return [
        {
            "severity": rule.severity,
            "long_window": format_duration(rule.long_window),
            "short_window": format_duration(rule.short_window),
            "burn_rate_threshold": number(rule.factor),
            "long_burn_rate": burn(rule.long_window),
            "short_burn_rate": burn(rule.short_window),
            "firing": firing.get(rule),
        }
        for rule in entry.slo.alerts
    ]


def _period(entry: Served) -> JSON:
    slo, result = entry.slo, entry.result
    calendar = None if slo.calendar is None else slo.calendar.unit.value
    if result is None:
        return {"calendar": calendar, "seconds": None, "start": None, "elapsed_ratio": None}
    return {
        "calendar": calendar,
        "seconds": number(result.bounds.length),
        "start": result.bounds.start,
        "elapsed_ratio": number(result.elapsed_ratio),
    }


def detail(entry: Served, failed: Mapping[str, str], days: Daily) -> JSON:
    """One SLO as ``/api/v1/slos/{name}`` shows it."""
    result = entry.result
    windows = [] if result is None else result.labelled_windows()
    return {
        **summary(entry, failed),
        "period": _period(entry),
        "windows": [_window(label, wr) for label, wr in windows],
        "budget": _budget(result),
        "alerts": _alerts(entry),
        "daily": days.days,
        "daily_unavailable": days.unavailable,
        "budget_adjustments": _adjustments(entry),
    }


def _adjustments(entry: Served) -> list[JSON]:
    """The SLO's budget adjustments: in force at the last cycle's T, and the seconds of
    the period each takes out (null before the first result)."""
    result = entry.result
    out = []
    for adjustment in entry.slo.adjustments:
        active, seconds = False, None
        if result is not None:
            at = result.evaluated_at
            active = any(s < at <= e for s, e in adjustment.spans(at - 1, at))
            seconds = excluded_seconds([adjustment], result.bounds.start, at)
        out.append(
            {
                "name": adjustment.name,
                "reason": adjustment.reason,
                "rrule": adjustment.recurrence or None,
                "active": active,
                "excluded_seconds": seconds,
            }
        )
    return out


def parse_filters(query: Mapping[str, str], labels: Sequence[str], statuses: Sequence[str]) -> JSON:
    """The filters of ``/api/v1/slos`` (raises :class:`BadQuery`)."""
    unknown = sorted(set(query) - {"service", "label", "status", "sort"})
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}: use service, label, status or sort")
    pairs = []
    for text in labels:
        key, sep, value = text.partition(":")
        if not sep or not key:
            raise BadQuery(f"parameter 'label' must be key:value; got {text!r}")
        pairs.append((key, value))
    for status in statuses:
        if status not in STATUSES:
            raise BadQuery(
                f"parameter 'status' must be one of {', '.join(STATUSES)}; got {status!r}"
            )
    sort = query.get("sort", "name")
    if sort not in SORTS:
        raise BadQuery(f"parameter 'sort' must be one of {', '.join(SORTS)}; got {sort!r}")
    return {
        "service": query.get("service"),
        "labels": pairs,
        "statuses": set(statuses),
        "sort": sort,
    }


def select(summaries: Sequence[JSON], filters: JSON) -> list[JSON]:
    """The ``summaries`` that pass ``filters``, by name.

    ``budget`` sorts the least budget first (SLOs without a budget last), ``-budget``
    the most first.
    """
    service, pairs, statuses = filters["service"], filters["labels"], filters["statuses"]
    out = [
        item
        for item in summaries
        if (service is None or item["service"] == service)
        and all(item["labels"].get(k) == v for k, v in pairs)
        and (not statuses or item["status"] in statuses)
    ]
    out.sort(key=lambda item: item["name"])
    if filters["sort"] != "name":
        sign = 1.0 if filters["sort"] == "budget" else -1.0
        out.sort(key=lambda i: (i["budget_remaining_ratio"] is None,
                                sign * (i["budget_remaining_ratio"] or 0.0)))  # fmt: skip
    return out


def cycle_state(cycles: int, evaluated_at: float | None) -> JSON:
    """Where the daemon is: ``before_first_cycle`` until a cycle has finished."""
    if cycles == 0:
        return {"state": "before_first_cycle", "evaluated_at": None}
    return {"state": "evaluated", "evaluated_at": evaluated_at}


def _backend(daemon: Daemon) -> JSON:
    settings, run = daemon.settings, daemon.served.last_run
    url = None if settings.scrape is not None else settings.backend.safe_url
    if run is None:
        return {"url": url, "state": "unknown"}
    return {"url": url, "state": "up" if run.backend_reachable else "down"}


def _store(daemon: Daemon) -> JSON:
    if daemon.store is None:
        return {"state": "none", "path": None}
    if not daemon.cycles:
        state = "starting"
    else:
        state = "filling" if daemon.store_filling or not daemon.ready else "ready"
    return {"state": state, "path": str(daemon.store.path)}


def status(daemon: Daemon) -> JSON:
    """``/api/v1/status``: build, config reload, last cycle, backend and store state."""
    run = daemon.served.last_run
    last = None if run is None else {
        "evaluated_at": run.at,
        "finished_at": daemon.served.last_run_at,
        "duration_seconds": number(run.duration),
        "result": "failure" if run.failures else "success",
        "slos_evaluated": len(run.results),
        "slos_failed": len(run.failures),
    }  # fmt: skip
    return {
        "version": __version__,
        "ready": daemon.ready,
        "config": {"reload_ok": daemon.reload_state.ok, "reloaded_at": daemon.reload_state.at},
        "cycles": daemon.cycles,
        "last_cycle": last,
        "backend": _backend(daemon),
        "store": _store(daemon),
        "slos": len(daemon.slos),
        "shard": str(daemon.shard),
    }
