"""The words of the alerts: summaries, descriptions and links.

Everything static (objective, period, thresholds, windows, budget shares)
is written in at generation time; only ``$value`` is left to Prometheus'
template engine. Text that comes from the config is escaped, so a ``{{``
in a service name cannot break the template.
"""

from __future__ import annotations

from collections.abc import Sequence

from exporter.domain.model import SLO, BurnRateRule
from exporter.rules.promql_text import duration

VALUE_1F = '{{ $value | printf "%.1f" }}'
"""The alert's value with one decimal (a burn rate)."""


def escape(text: str) -> str:
    """``text`` as a literal in a Prometheus (Go) template: ``{{`` is written ``{{ "{{" }}``."""
    return text.replace("{{", '{{ "{{" }}')


def period_text(slo: SLO) -> str:
    """``30d`` for a rolling period, ``calendar month`` for a calendar one."""
    if slo.calendar is not None:
        return f"calendar {slo.calendar.unit.value}"
    return duration(slo.period)


def objective_text(slo: SLO) -> str:
    """``99.9% over 30d`` or ``99.9% per calendar month``."""
    joiner = "per" if slo.calendar is not None else "over"
    return f"{slo.objective:.10g}% {joiner} {period_text(slo)}"


def percent(share: float) -> str:
    """A share as a short percentage: 0.02 -> ``2%``, 0.0125 -> ``1.25%``."""
    return f"{share * 100:.3g}%"


def budget_share(slo: SLO, rule: BurnRateRule) -> float:
    """Share of the period's budget that a burn at the rule's factor spends in its long window."""
    return rule.factor * rule.long_window / slo.period


def _who(slo: SLO) -> str:
    return f"{escape(slo.name)} (service {escape(slo.service)}, objective {objective_text(slo)})"


def _condition(slo: SLO, rule: BurnRateRule) -> str:
    return (
        f"above {rule.factor:.4g} over both the last {duration(rule.long_window)} and "
        f"{duration(rule.short_window)} ({percent(budget_share(slo, rule))} of the "
        f"{period_text(slo)} budget spent in {duration(rule.long_window)})"
    )


def burn(slo: SLO, severity: str, rules: Sequence[BurnRateRule]) -> dict[str, str]:
    """Summary and description of the burn-rate alert of one severity.

    The alert's value is the long-window burn rate of the first condition that holds.
    """
    conditions = ", or ".join(_condition(slo, rule) for rule in rules)
    return {
        "summary": f"{escape(slo.name)} is burning its error budget {VALUE_1F} times too fast",
        "description": (
            f"{_who(slo)} is spending its error budget {VALUE_1F} times faster than the "
            f"period can sustain. This {escape(severity)} alert holds while the burn rate is "
            f"{conditions}."
        ),
    }


def exhausted(slo: SLO) -> dict[str, str]:
    """Summary and description of the exhausted-budget alert (value: remaining ratio)."""
    return {
        "summary": f"{escape(slo.name)} has exhausted its error budget",
        "description": (
            f"{_who(slo)} has spent its whole error budget: "
            "{{ $value | humanizePercentage }} of it remains."
        ),
    }


def data_missing_exporter(slo: SLO, wait: int) -> dict[str, str]:
    """Summary and description of the no-data alert over the exporter's ``slo_status``."""
    return {
        "summary": f"{escape(slo.name)} has no current SLO data",
        "description": (
            f"For {_for(wait)} slo-exporter has had no numbers for {_who(slo)}: its period "
            "had no traffic, or the exporter does not serve this SLO. Its burn-rate alerts "
            "cannot fire meanwhile."
        ),
    }


def evaluation_failing(slo: SLO, wait: int) -> dict[str, str]:
    """Summary and description of the failing-evaluation alert (``slo_status`` unknown)."""
    return {
        "summary": f"{escape(slo.name)}: slo-exporter's evaluations fail",
        "description": (
            f"slo-exporter's evaluations of {_who(slo)} have failed for {_for(wait)}: see "
            "slo_exporter_query_errors_total and the exporter's log. It serves the last good "
            "numbers, if any, and the SLO's alerts keep their last state meanwhile."
        ),
    }


def data_missing_native(slo: SLO, wait: int) -> dict[str, str]:
    """Summary and description of the no-data alert over the raw series (native mode)."""
    return {
        "summary": f"{escape(slo.name)} has no current SLO data",
        "description": (
            f"For {_for(wait)}, no series have matched the total events of {_who(slo)}, or its "
            "period had no traffic. Its burn-rate alerts cannot fire meanwhile."
        ),
    }


def stale(slo: SLO, stale_after: int) -> dict[str, str]:
    """Summary and description of the stale-evaluation alert (value: age in seconds)."""
    return {
        "summary": f"{escape(slo.name)}: slo-exporter's numbers are stale",
        "description": (
            f"slo-exporter last evaluated {_who(slo)} successfully "
            f"{{{{ $value | humanizeDuration }}}} ago (allowed: {duration(stale_after)}). Its "
            "alerts act on old numbers; see slo_exporter_query_errors_total and the "
            "exporter's log."
        ),
    }


def exporter_down(job: str, wait: int) -> dict[str, str]:
    """Summary and description of the exporter-down alert."""
    return {
        "summary": "slo-exporter is down",
        "description": (
            f'Prometheus has not scraped job "{escape(job)}" successfully for {_for(wait)}. '
            "No SLO alert from slo-exporter can fire while it is down."
        ),
    }


def links(slo: SLO) -> dict[str, str]:
    """``runbook_url`` and ``dashboard_url`` annotations, for those the config gives."""
    out = {}
    if slo.runbook_url:
        out["runbook_url"] = escape(slo.runbook_url)
    if slo.dashboard_url:
        out["dashboard_url"] = escape(slo.dashboard_url)
    return out


def _for(seconds: int) -> str:
    return duration(seconds) if seconds else "a moment"
