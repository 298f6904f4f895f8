"""The PromQL of every panel, as text with Grafana's template variables in it.

Queries select only the exporter's own series (``slo_*`` and ``slo_exporter_*``),
scoped by a *scope*: the matchers that pick the SLOs a dashboard shows.
Multi-value variables are matched with ``=~`` so that their "All" value (``.*``)
also matches series that lack the label, e.g. SLOs without a ``team``.

Queries feeding a merged table drop the metric name (``sum without ()``) so
that rows of different metrics line up on their labels alone.
"""

from __future__ import annotations

from exporter.dashboards.status_display import CODES

OVERVIEW_SCOPE = 'service=~"$service", team=~"$team"'
"""The SLOs the overview shows: those of the selected services and teams."""

DETAIL_SCOPE = 'slo="$slo"'
"""The one SLO a detail dashboard shows."""


def selector(metric: str, scope: str, *matchers: str) -> str:
    """``metric{scope, matchers...}``."""
    inner = ", ".join(part for part in (scope, *matchers) if part)
    return f"{metric}{{{inner}}}"


def nameless(expr: str) -> str:
    """``expr`` without its metric name, labels otherwise unchanged (for merged tables)."""
    return f"sum without () ({expr})"


def status_code(scope: str) -> str:
    """One series per SLO whose value is the number of its current status.

    ``slo_status`` is 1 for the current status and 0 for the others; scaling
    each by its status number and taking the maximum leaves the current one
    (healthy is 0).
    """
    parts = [
        selector("slo_status", scope, f'status="{status.value}"') + f" * {code}"
        for status, code in CODES.items()
    ]
    return "max without (status) (" + " or ".join(parts) + ")"


def sli_over_period(scope: str) -> str:
    """The SLI over the SLO's whole period.

    Derived from the budget, ``consumed = (1 - SLI) / (1 - objective)``, because
    the period's ``slo_sli_ratio`` has a ``window`` label that differs by SLO.
    """
    consumed = selector("slo_error_budget_consumed_ratio", scope)
    objective = selector("slo_objective_ratio", scope)
    return f"1 - {consumed} * (1 - {objective})"


def burn_rate_in(scope: str, window: str) -> str:
    """The burn rate over one window, without the ``window`` label (a table column)."""
    burn_rate = selector("slo_burn_rate", scope, f'window="{window}"')
    return f"max without (window) ({burn_rate})"


def serving(scope: str) -> str:
    """``and on (job, instance) …``: keep only the exporter that serves the scoped SLOs."""
    return f"and on (job, instance) {selector('slo_data_ok', scope)}"


def age(timestamp_metric: str, scope: str) -> str:
    """Seconds since the timestamp a gauge holds."""
    return f"time() - {selector(timestamp_metric, scope)}"
