"""One validated ``slos`` entry as the domain :class:`~exporter.domain.model.SLO`.

What the SLO leaves out comes from ``defaults``, then from its ``tier``,
then from the built-in defaults: the windows, the workbook's burn-rate
alerts scaled to the period, and :data:`DEFAULT_STATUS`. The runbook and
dashboard URLs fall back to the ``alerting`` section's.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from zoneinfo import ZoneInfo

from exporter.config.build_grouping import grouping
from exporter.config.build_sli import sli
from exporter.config.links import expand_url
from exporter.config.problems import Problem
from exporter.config.schema import DEFAULT_PERIOD, DEFAULT_WINDOWS, AlertingConfig, DefaultsConfig
from exporter.config.schema_sli import TEMPLATE_SLIS
from exporter.config.schema_slo import AlertConfig, SLOConfig, StatusConfig
from exporter.config.tiers import objective_for
from exporter.domain.alerts import scaled_factor, workbook_rules
from exporter.domain.budgeting import Budgeting, Method, NoData
from exporter.domain.calendar import CalendarPeriod, CalendarUnit
from exporter.domain.composite import Component, CompositeMethod
from exporter.domain.durations import parse_duration
from exporter.domain.model import SLI, SLO, BurnRateRule, CompositeSLI, StatusPolicy
from exporter.domain.phases import Phase
from exporter.yaml_lines import YamlPath

_DEFAULT_WINDOW_SECONDS = [parse_duration(text) for text in DEFAULT_WINDOWS]
DEFAULT_STATUS = StatusPolicy(window=3600, critical=2.0, warning=1.5, attention=1.0)


def slo(config: SLOConfig, defaults: DefaultsConfig, index: int, problems: list[Problem]) -> SLO:
    """The domain SLO, with the defaults (and the tier's) filled in."""
    calendar, period = _period(config)
    objective = config.objective
    if objective is None:
        assert config.tier is not None  # the schema requires an objective or a tier
        latency = config.sli is not None and config.sli.latency is not None
        objective = objective_for(config.tier, latency=latency)
    exclude = _exclude(config, defaults, index, problems)
    budgeting = Budgeting()
    if config.budgeting is not None:
        b = config.budgeting
        budgeting = Budgeting(Method(b.method), b.slice, b.slice_target or 99.0)
    min_events = config.min_events if config.min_events is not None else defaults.min_events
    rules = _rules(config, defaults, period)
    status = merge_status(defaults.status, DEFAULT_STATUS)
    if config.status is not None:
        status = merge_status(config.status, status)
        check_status(config.status, status, ("slos", index, "status"), problems)
    rolling = period if calendar is None else None
    return SLO(
        name=config.name,
        service=config.service,
        objective=objective,
        period=period,
        sli=_sli(config, exclude),
        windows=_windows(config, defaults, rules, status, rolling),
        alerts=rules,
        status=status,
        labels=MappingProxyType(dict(config.labels)),
        calendar=calendar,
        budgeting=budgeting,
        no_data=NoData(config.no_data or defaults.no_data or "skip"),
        min_events=min_events or 0.0,
        description=config.description or "",
        alert_name=config.alert_name or "",
        grouping=grouping(config, index, problems),
        phases=tuple(
            Phase(phase.objective, phase.until, phase.name or "") for phase in config.phases or ()
        ),
    )


def _sli(config: SLOConfig, exclude: dict[str, str]) -> SLI:
    """The SLI; a composite's names its components (checked by ``build_composite``)."""
    if config.composite is None:
        assert config.sli is not None  # the schema requires 'sli' or 'composite'
        return sli(config.sli, config.tier, exclude)
    return CompositeSLI(
        CompositeMethod(config.composite.method),
        tuple(Component(c.slo, c.weight or 1.0) for c in config.composite.objectives),
    )


def _period(config: SLOConfig) -> tuple[CalendarPeriod | None, int]:
    """The calendar (None for a rolling period) and the period's length in seconds."""
    if config.calendar is not None:
        zone = config.timezone or "UTC"
        calendar = CalendarPeriod(CalendarUnit(config.calendar), ZoneInfo(zone), zone)
        return calendar, calendar.nominal_seconds
    return None, config.period if config.period is not None else DEFAULT_PERIOD


def _exclude(
    config: SLOConfig, defaults: DefaultsConfig, index: int, problems: list[Problem]
) -> dict[str, str]:
    """The SLO's exclusions, else the defaults'; none for an SLI written as PromQL."""
    if config.sli is None:
        return {}  # a composite has no selectors of its own
    exclude = dict(config.exclude if config.exclude is not None else defaults.exclude or {})
    if exclude and config.sli_kind in TEMPLATE_SLIS:
        problems.append(
            Problem(
                ("slos", index, "sli", config.sli_kind),
                f"defaults.exclude cannot add matchers to a {config.sli_kind} expression; "
                "write the matcher into the query and set 'exclude: {}' on this SLO",
            )
        )
        exclude = {}
    return exclude


def _rules(config: SLOConfig, defaults: DefaultsConfig, period: int) -> tuple[BurnRateRule, ...]:
    """The SLO's alerts, else the defaults', else the workbook's scaled to ``period``."""
    alert_configs = config.alerts if config.alerts is not None else defaults.alerts
    if alert_configs is None:
        return workbook_rules(period)
    return tuple(_rule(alert, period) for alert in alert_configs)


def _rule(config: AlertConfig, period: int) -> BurnRateRule:
    if config.burn_rate is not None:
        factor = config.burn_rate
    else:
        assert config.budget_percent is not None  # the schema requires one of them
        factor = scaled_factor(config.budget_percent / 100.0, period, config.long_window)
    return BurnRateRule(
        config.severity,
        config.long_window,
        config.short_window,
        factor,
        labels=tuple(sorted(config.labels.items())),
        annotations=tuple(sorted(config.annotations.items())),
    )


def _windows(
    config: SLOConfig,
    defaults: DefaultsConfig,
    rules: tuple[BurnRateRule, ...],
    status: StatusPolicy,
    rolling_period: int | None,
) -> tuple[int, ...]:
    """Every window the SLO is evaluated over: listed, alerting, status and a rolling period."""
    windows = config.windows if config.windows is not None else defaults.windows
    if windows is None:
        windows = _DEFAULT_WINDOW_SECONDS
    every = {*windows, status.window}
    if rolling_period is not None:
        every.add(rolling_period)
    for rule in rules:
        every.update((rule.long_window, rule.short_window))
    return tuple(sorted(every))


def merge_status(config: StatusConfig | None, base: StatusPolicy) -> StatusPolicy:
    """``base`` with the thresholds and window ``config`` sets."""
    if config is None:
        return base
    return StatusPolicy(
        window=config.window if config.window is not None else base.window,
        critical=config.critical if config.critical is not None else base.critical,
        warning=config.warning if config.warning is not None else base.warning,
        attention=config.attention if config.attention is not None else base.attention,
    )


def check_status(
    config: StatusConfig | None,
    base: StatusPolicy,
    path: YamlPath,
    problems: list[Problem],
) -> None:
    """Thresholds, after merging, must go critical >= warning >= attention."""
    if config is None:
        return
    policy = merge_status(config, base)
    if not policy.critical >= policy.warning >= policy.attention:
        problems.append(
            Problem(
                path,
                "thresholds must satisfy critical >= warning >= attention; got "
                f"critical {policy.critical:g}, warning {policy.warning:g}, "
                f"attention {policy.attention:g} (with defaults filled in)",
            )
        )


def with_links(slo: SLO, config: SLOConfig, alerting: AlertingConfig) -> SLO:
    """The SLO with its runbook and dashboard URLs: its own, else the alerting defaults."""
    runbook = config.runbook_url or alerting.runbook_url
    dashboard = config.dashboard_url or alerting.dashboard_url
    return replace(
        slo,
        runbook_url=expand_url(runbook, slo.name, slo.service) if runbook else "",
        dashboard_url=expand_url(dashboard, slo.name, slo.service) if dashboard else "",
    )
