"""Read a config file into :class:`exporter.settings.Settings`, or explain what is wrong.

:func:`load_config` reads the YAML (:mod:`exporter.config.yaml_lines`),
validates it (:mod:`exporter.config.schema`), cross-checks what one section
cannot see on its own, reads secrets, and builds the domain objects. Every
user mistake ends in one :class:`~exporter.errors.ConfigError` that lists all
problems found, one line each::

    config.yaml:42: slos[2] "checkout-latency": sli.latency.threshold: threshold must be ...
    config.yaml:7: backend.timeout: '10 seconds' is not a duration: ...

Secret values never appear in a message: only the file or variable they
were to be read from.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from exporter.config import templates
from exporter.config.duplicates import duplicate_keys, duplicate_names
from exporter.config.links import expand_url
from exporter.config.openslo_input import check_native
from exporter.config.problems import Problem, format_problems
from exporter.config.schema import (
    DEFAULT_PERIOD,
    DEFAULT_WINDOWS,
    AlertingConfig,
    ConfigFile,
    DefaultsConfig,
)
from exporter.config.schema_backend import BackendConfig, SecretSource
from exporter.config.schema_sli import TEMPLATE_SLIS, SLIConfig
from exporter.config.schema_slo import AlertConfig, SLOConfig, StatusConfig
from exporter.config.schema_source import (
    BOTH_SOURCES,
    DEFAULT_SCRAPE_TIMEOUT,
    MISSING_SOURCE,
    SourceConfig,
)
from exporter.config.scrape_check import check_scrapable
from exporter.config.tiers import objective_for, threshold_for
from exporter.config.validation_errors import translate
from exporter.domain.alerts import scaled_factor, workbook_rules
from exporter.domain.budgeting import Budgeting, Method, NoData
from exporter.domain.calendar import CalendarPeriod, CalendarUnit
from exporter.domain.durations import format_duration, parse_duration
from exporter.domain.model import (
    SLI,
    SLO,
    BoolGaugeSLI,
    BurnRateRule,
    FreshnessSLI,
    LatencySLI,
    QuerySLI,
    RatioSLI,
    RawSLI,
    StatusPolicy,
    ThresholdSLI,
    ThroughputSLI,
)
from exporter.errors import ConfigError
from exporter.openslo import convert_located, is_openslo, read_openslo
from exporter.promql.selectors import MatchOp, parse_selector
from exporter.settings import (
    AlertingSettings,
    BackendSettings,
    EvaluationSettings,
    ScrapeSettings,
    ScrapeTarget,
    Settings,
)
from exporter.yaml_lines import (
    YamlDocument,
    YamlPath,
    YamlSyntaxError,
    describe,
    dotted,
    load_yaml,
    load_yaml_all,
)

DEFAULT_STATUS = StatusPolicy(window=3600, critical=2.0, warning=1.5, attention=1.0)


def load_config(path: str | Path) -> Settings:
    """Load and validate the config at ``path``; raise ConfigError on any mistake.

    ``path`` is a native config file, an OpenSLO v1 file (one or more
    documents) or a directory of OpenSLO files; OpenSLO is converted to the
    native config (:mod:`exporter.openslo`) and checked by the same rules.
    """
    file = Path(path)
    if file.is_dir():
        return _load_openslo(read_openslo(file), file)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: cannot read the config file: it is not UTF-8 text"]) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError([f"{path}: cannot read the config file: {reason}"]) from None
    try:
        documents = load_yaml_all(text)
    except YamlSyntaxError:
        documents = []  # _load reports it with the native wording
    if any(is_openslo(document.data) for document in documents):
        return _load_openslo([(str(path), document) for document in documents], file)
    return _load(text, str(path), file.parent, file)


def _load_openslo(sources: list[tuple[str, YamlDocument]], path: Path) -> Settings:
    """Convert OpenSLO documents, then validate and build them like a native config."""
    converted = convert_located(sources)
    check_native(converted)
    problems: list[Problem] = []
    base_dir = path if path.is_dir() else path.parent
    settings = _validate_and_build(converted.config, base_dir, path, problems)
    if problems or settings is None:
        lines = []
        for problem in problems:
            origin = converted.locate(problem.path)
            lines.append(origin.format(problem.message) if origin else f"{path}: {problem.message}")
        raise ConfigError(lines)
    return settings


def load_config_text(text: str, source: str = "<string>") -> Settings:
    """Load config from ``text``; ``source`` names it in messages, relative paths use the cwd."""
    return _load(text, source, Path.cwd(), None)


def _load(text: str, source: str, base_dir: Path, source_path: Path | None) -> Settings:
    try:
        document = load_yaml(text)
    except YamlSyntaxError as error:
        where = source if error.line is None else f"{source}:{error.line}:{error.column}"
        raise ConfigError([f"{where}: invalid YAML: {error.message}"]) from None
    data = document.data
    if data is None:
        raise ConfigError(
            [f"{source}: the config is empty; it needs at least 'backend' and 'slos'"]
        )
    if not isinstance(data, dict):
        line = document.line_of(())
        raise ConfigError(
            [
                f"{source}:{line}: the top level must be a mapping with 'backend' and 'slos', "
                f"not {describe(data)}"
            ]
        )
    problems = [*duplicate_keys(document), *duplicate_names(document)]
    expanded, origins = _expand_services(data, problems)
    settings = _validate_and_build(expanded, base_dir, source_path, problems)
    if settings is not None and not settings.slos:
        at: YamlPath = ("slos",) if "slos" in data else ()
        problems.append(Problem(at, "no SLOs listed; add at least one under 'slos' or 'services'"))
    if problems or settings is None:
        problems = [_from_template(problem, expanded, origins) for problem in problems]
        raise ConfigError(format_problems(source, document, problems))
    return settings


def effective_config(path: str | Path) -> dict[str, Any]:
    """The config's data after templates expand, as plain YAML-ready data (for ``show``).

    The file is validated first (ConfigError on any mistake).
    """
    load_config(path)
    file = Path(path)
    if file.is_dir():
        return convert_located(read_openslo(file)).config
    documents = load_yaml_all(file.read_text(encoding="utf-8-sig"))
    if any(is_openslo(document.data) for document in documents):
        return convert_located([(str(path), document) for document in documents]).config
    expanded, _ = _expand_services(documents[0].data, [])
    expanded.pop("services", None)
    return expanded


# ---- templates --------------------------------------------------------------------


def _expand_services(
    data: dict[Any, Any], problems: list[Problem]
) -> tuple[dict[Any, Any], dict[int, int]]:
    """Append the SLOs every valid ``services:`` entry expands to.

    Returns the new data and, for each appended SLO's index, the index of the
    service entry it came from (to point messages at the entry's lines).
    """
    raw_services = data.get("services")
    if not isinstance(raw_services, list) or not raw_services:
        return data, {}
    raw_slos = data.get("slos")
    slos = list(raw_slos) if isinstance(raw_slos, list) else []
    origins: dict[int, int] = {}
    for index, raw in enumerate(raw_services):
        if not isinstance(raw, dict):
            continue  # the schema reports it
        try:
            service = templates.ServiceInput.model_validate(raw)
        except ValidationError as error:
            for item in error.errors():
                problem = translate({**item, "loc": ("services", index, *item["loc"])})
                problems.append(problem)
            continue
        for slo in templates.expand(raw, service):
            origins[len(slos)] = index
            slos.append(slo)
    return {**data, "slos": slos}, origins


def _from_template(problem: Problem, data: dict[Any, Any], origins: dict[int, int]) -> Problem:
    """Point a problem inside a template-made SLO at its ``services:`` entry."""
    path = problem.shown if problem.shown is not None else problem.path
    if len(problem.path) < 2 or problem.path[0] != "slos" or problem.path[1] not in origins:
        return problem
    slo_index = problem.path[1]
    assert isinstance(slo_index, int)
    service = origins[slo_index]
    name = data["slos"][slo_index].get("name", "?")
    return Problem(
        ("services", service),
        f"{dotted(path[2:]) + ': ' if path[2:] else ''}{problem.message} "
        f"(in SLO {name!r} made by this template)",
    )


# ---- validation -----------------------------------------------------------------


def _validate_and_build(
    data: dict[Any, Any], base_dir: Path, source_path: Path | None, problems: list[Problem]
) -> Settings | None:
    """Validate ``data``; build Settings when it is valid, else check the valid parts further."""
    try:
        config = ConfigFile.model_validate(data)
    except ValidationError as error:
        failed = [translate(item) for item in error.errors()]
        failed = [_one_target(p, data) for p in failed if p.message not in _SOURCE_MESSAGES]
        failed.extend(_backend_or_source(data))
        problems.extend(failed)
        _check_valid_parts(data, base_dir, {p.path[:2] for p in failed}, problems)
        return None
    if config.backend is None:
        backend: BackendSettings | None = BackendSettings(url="")  # placeholder, see Settings
    else:
        backend = _backend(config.backend, base_dir, problems)
    _check_status(config.defaults.status, DEFAULT_STATUS, ("defaults", "status"), problems)
    slos = tuple(
        _with_links(_slo(slo, config.defaults, index, problems), slo, config.alerting)
        for index, slo in enumerate(config.slos)
    )
    _check_stale_after(config, problems)
    scrape = None
    if config.source is not None:
        scrape = _scrape(config.source, problems)
        check_scrapable(config.slos, slos, problems)
    if backend is None:
        return None
    evaluation = EvaluationSettings(
        interval=config.evaluation.interval,
        concurrency=config.evaluation.concurrency,
        delay=config.evaluation.delay,
    )
    return Settings(
        backend=backend,
        evaluation=evaluation,
        slos=slos,
        source=source_path,
        alerting=_alerting(config.alerting, config.evaluation.interval),
        scrape=scrape,
    )


def _alerting(config: AlertingConfig, interval: int) -> AlertingSettings:
    # Unless given: 10m, or three evaluation cycles when they are longer than that.
    stale_after = config.stale_after or max(600, 3 * interval)
    return AlertingSettings(
        severity_names=MappingProxyType(dict(config.severity_names)),
        exhausted_severity=config.exhausted_severity,
        exhausted_for=config.exhausted_for,
        data_missing_severity=config.data_missing_severity,
        data_missing_for=config.data_missing_for,
        exporter_severity=config.exporter_severity,
        exporter_job=config.exporter_job,
        exporter_down_for=config.exporter_down_for,
        stale_after=stale_after,
        native_interval=config.native_interval,
        native_offset=config.native_offset,
    )


def _with_links(slo: SLO, config: SLOConfig, alerting: AlertingConfig) -> SLO:
    """The SLO with its runbook and dashboard URLs: its own, else the alerting defaults."""
    runbook = config.runbook_url or alerting.runbook_url
    dashboard = config.dashboard_url or alerting.dashboard_url
    return replace(
        slo,
        runbook_url=expand_url(runbook, slo.name, slo.service) if runbook else "",
        dashboard_url=expand_url(dashboard, slo.name, slo.service) if dashboard else "",
    )


def _check_stale_after(config: ConfigFile, problems: list[Problem]) -> None:
    """A stale-evaluation alert must allow for a couple of evaluation cycles."""
    interval = config.evaluation.interval
    if config.alerting.stale_after is not None and config.alerting.stale_after <= 2 * interval:
        problems.append(
            Problem(
                ("alerting", "stale_after"),
                f"must be longer than two evaluation intervals ({format_duration(2 * interval)})"
                ", or the stale-evaluation alert fires between two healthy cycles",
            )
        )


def _check_valid_parts(
    data: dict[Any, Any], base_dir: Path, failed: set[YamlPath], problems: list[Problem]
) -> None:
    """Run the build-time checks (secrets, status order) on sections that did validate."""
    if not any(path[:1] == ("backend",) for path in failed) and "backend" in data:
        _backend(BackendConfig.model_validate(data["backend"]), base_dir, problems)
    if any(path[:1] == ("defaults",) for path in failed):
        return
    raw_defaults = data.get("defaults")
    defaults = (
        DefaultsConfig.model_validate(raw_defaults)
        if raw_defaults is not None
        else DefaultsConfig()
    )
    _check_status(defaults.status, DEFAULT_STATUS, ("defaults", "status"), problems)
    raw_slos = data.get("slos")
    if not isinstance(raw_slos, list):
        return
    for index, raw in enumerate(raw_slos):
        if ("slos", index) not in failed:
            _slo(SLOConfig.model_validate(raw), defaults, index, problems)


# ---- building -------------------------------------------------------------------


def _backend(
    config: BackendConfig, base_dir: Path, problems: list[Problem]
) -> BackendSettings | None:
    """BackendSettings with secrets read; None (and problems added) when one cannot be read."""
    before = len(problems)
    headers = dict(config.headers)
    secret_headers = {
        name: headers.pop(name) for name in list(headers) if name.lower() == "authorization"
    }
    if config.bearer_token is not None:
        token = _read_secret(config.bearer_token, ("backend", "bearer_token"), base_dir, problems)
        if token is not None and re.search(r"\s", token):
            problems.append(
                Problem(
                    ("backend", "bearer_token"),
                    "the bearer token contains spaces or line breaks; it must be one word",
                )
            )
        elif token is not None:
            secret_headers["Authorization"] = f"Bearer {token}"
    if config.basic_auth is not None:
        path = ("backend", "basic_auth", "password")
        password = _read_secret(config.basic_auth.password, path, base_dir, problems)
        if password is not None:
            pair = f"{config.basic_auth.username}:{password}".encode()
            secret_headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    ca_file = None
    if config.tls is not None and config.tls.ca_file is not None:
        ca_file = _readable(config.tls.ca_file, ("backend", "tls", "ca_file"), base_dir, problems)
    if len(problems) > before:
        return None
    return BackendSettings(
        url=config.url,
        timeout=float(config.timeout),
        headers=MappingProxyType(headers),
        secret_headers=MappingProxyType(secret_headers),
        tls_verify=not (config.tls is not None and config.tls.insecure_skip_verify),
        ca_file=ca_file,
    )


def _read_secret(
    source: SecretSource, path: YamlPath, base_dir: Path, problems: list[Problem]
) -> str | None:
    """The secret's value, or None with a problem that names where it was looked for."""
    if source.env is not None:
        value = os.environ.get(source.env)
        if value is None:
            problems.append(
                Problem((*path, "env"), f"environment variable {source.env} is not set")
            )
            return None
        if not value.strip():
            problems.append(Problem((*path, "env"), f"environment variable {source.env} is empty"))
            return None
        return value
    assert source.file is not None  # the schema requires file or env
    file = _resolve(source.file, base_dir)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem((*path, "file"), f"secret file {str(file)!r} is not UTF-8 text"))
        return None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        problems.append(Problem((*path, "file"), f"cannot read {str(file)!r}: {reason}"))
        return None
    value = text.rstrip("\r\n")
    if not value.strip():
        problems.append(Problem((*path, "file"), f"secret file {str(file)!r} is empty"))
        return None
    return value


def _readable(name: str, path: YamlPath, base_dir: Path, problems: list[Problem]) -> Path | None:
    file = _resolve(name, base_dir)
    try:
        file.open("rb").close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        problems.append(Problem(path, f"cannot read {str(file)!r}: {reason}"))
        return None
    return file


def _resolve(name: str, base_dir: Path) -> Path:
    """A path from the config: ``~`` expanded, relative to the config file's directory."""
    file = Path(name).expanduser()
    return file if file.is_absolute() else base_dir / file


def _slo(config: SLOConfig, defaults: DefaultsConfig, index: int, problems: list[Problem]) -> SLO:
    """The domain SLO, with the defaults (and the tier's) filled in."""
    calendar = None
    if config.calendar is not None:
        zone = config.timezone or "UTC"
        calendar = CalendarPeriod(CalendarUnit(config.calendar), ZoneInfo(zone), zone)
        period = calendar.nominal_seconds
    else:
        period = config.period if config.period is not None else DEFAULT_PERIOD
    objective = config.objective
    if objective is None:
        assert config.tier is not None  # the schema requires an objective or a tier
        objective = objective_for(config.tier, latency=config.sli.latency is not None)
    exclude = dict(config.exclude if config.exclude is not None else defaults.exclude or {})
    if exclude and config.sli.kind in TEMPLATE_SLIS:
        problems.append(
            Problem(
                ("slos", index, "sli", config.sli.kind or ""),
                f"defaults.exclude cannot add matchers to a {config.sli.kind} expression; "
                "write the matcher into the query and set 'exclude: {}' on this SLO",
            )
        )
        exclude = {}
    budgeting = Budgeting()
    if config.budgeting is not None:
        b = config.budgeting
        budgeting = Budgeting(Method(b.method), b.slice, b.slice_target or 99.0)
    min_events = config.min_events if config.min_events is not None else defaults.min_events
    windows = config.windows if config.windows is not None else defaults.windows
    if windows is None:
        windows = [parse_duration(text) for text in DEFAULT_WINDOWS]
    alert_configs = config.alerts if config.alerts is not None else defaults.alerts
    if alert_configs is None:
        rules = workbook_rules(period)
    else:
        rules = tuple(_rule(alert, period) for alert in alert_configs)
    status = _merge_status(defaults.status, DEFAULT_STATUS)
    if config.status is not None:
        status = _merge_status(config.status, status)
        _check_status(config.status, status, ("slos", index, "status"), problems)
    every = {*windows, status.window}
    if calendar is None:
        every.add(period)
    for rule in rules:
        every.update((rule.long_window, rule.short_window))
    return SLO(
        name=config.name,
        service=config.service,
        objective=objective,
        period=period,
        sli=_sli(config.sli, config.tier, exclude),
        windows=tuple(sorted(every)),
        alerts=rules,
        status=status,
        labels=MappingProxyType(dict(config.labels)),
        calendar=calendar,
        budgeting=budgeting,
        no_data=NoData(config.no_data or defaults.no_data or "skip"),
        min_events=min_events or 0.0,
        description=config.description or "",
    )


def _rule(config: AlertConfig, period: int) -> BurnRateRule:
    if config.burn_rate is not None:
        factor = config.burn_rate
    else:
        assert config.budget_percent is not None  # the schema requires one of them
        factor = scaled_factor(config.budget_percent / 100.0, period, config.long_window)
    return BurnRateRule(config.severity, config.long_window, config.short_window, factor)


def _merge_status(config: StatusConfig | None, base: StatusPolicy) -> StatusPolicy:
    if config is None:
        return base
    return StatusPolicy(
        window=config.window if config.window is not None else base.window,
        critical=config.critical if config.critical is not None else base.critical,
        warning=config.warning if config.warning is not None else base.warning,
        attention=config.attention if config.attention is not None else base.attention,
    )


def _check_status(
    config: StatusConfig | None,
    base: StatusPolicy,
    path: YamlPath,
    problems: list[Problem],
) -> None:
    """Thresholds, after merging, must go critical >= warning >= attention."""
    if config is None:
        return
    policy = _merge_status(config, base)
    if not policy.critical >= policy.warning >= policy.attention:
        problems.append(
            Problem(
                path,
                "thresholds must satisfy critical >= warning >= attention; got "
                f"critical {policy.critical:g}, warning {policy.warning:g}, "
                f"attention {policy.attention:g} (with defaults filled in)",
            )
        )


def _excluding(selector: str | None, exclude: dict[str, str]) -> str | None:
    """``selector`` with ``label!~"regex"`` added for every excluded label."""
    if selector is None or not exclude:
        return selector
    parsed = parse_selector(selector)
    for label, regex in sorted(exclude.items()):
        parsed = parsed.with_matcher(label, MatchOp.NOT_REGEX, regex)
    return parsed.render()


def _sli(config: SLIConfig, tier: str | None, exclude: dict[str, str]) -> SLI:
    """The domain SLI; selectors get the exclusions, a latency SLI the tier's threshold."""

    def sel(selector: str) -> str:
        result = _excluding(selector, exclude)
        assert result is not None
        return result

    ratio = config.ratio or config.completeness
    if ratio is not None:
        return RatioSLI(
            total=sel(ratio.total),
            good=_excluding(ratio.good, exclude),
            bad=_excluding(ratio.bad, exclude),
        )
    if config.latency is not None:
        threshold = config.latency.threshold
        if threshold is None:
            assert tier is not None  # the schema requires a threshold or a tier
            threshold = threshold_for(tier)
        return LatencySLI(sel(config.latency.histogram), threshold, config.latency.native)
    if config.bool_gauge is not None:
        return BoolGaugeSLI(sel(config.bool_gauge.metric))
    if config.threshold is not None:
        t = config.threshold
        return ThresholdSLI(t.query, t.op, t.value)
    if config.raw is not None:
        return RawSLI(config.raw.query, failure=config.raw.type == "failure")
    if config.throughput is not None:
        return ThroughputSLI(sel(config.throughput.counter), config.throughput.floor)
    if config.freshness is not None:
        return FreshnessSLI(sel(config.freshness.timestamp), config.freshness.max_age)
    assert config.query is not None  # the schema requires exactly one kind
    return QuerySLI(total=config.query.total, good=config.query.good, bad=config.query.bad)


# ---- source: scrape ---------------------------------------------------------------

_SOURCE_MESSAGES = frozenset({MISSING_SOURCE, BOTH_SOURCES})


def _backend_or_source(data: dict[Any, Any]) -> list[Problem]:
    """Exactly one of ``backend`` and ``source`` (also when other fields failed)."""
    backend, source = data.get("backend"), data.get("source")
    if backend is None and source is None:
        return [Problem((), MISSING_SOURCE)]
    if backend is not None and source is not None:
        return [Problem(("source",), BOTH_SOURCES)]
    return []


def _one_target(problem: Problem, data: dict[Any, Any]) -> Problem:
    """Drop the ``[0]`` pydantic adds inside ``scrape`` when it is one mapping, not a list."""
    source = data.get("source")
    single = isinstance(source, dict) and isinstance(source.get("scrape"), dict)
    if not single or problem.path[:3] != ("source", "scrape", 0):
        return problem
    shown = problem.shown
    if shown is not None and shown[:3] == ("source", "scrape", 0):
        shown = (*shown[:2], *shown[3:])
    return replace(problem, path=(*problem.path[:2], *problem.path[3:]), shown=shown)


def _scrape(config: SourceConfig, problems: list[Problem]) -> ScrapeSettings:
    """The scrape targets; several must differ in host:port, their ``instance`` label."""
    targets = tuple(
        ScrapeTarget(
            url=target.url,
            interval=float(target.interval),
            timeout=float(
                target.timeout
                if target.timeout is not None
                else min(DEFAULT_SCRAPE_TIMEOUT, target.interval)
            ),
        )
        for target in config.scrape
    )
    first: dict[str, int] = {}
    for index, target in enumerate(targets):
        other = first.setdefault(target.instance, index)
        if len(targets) > 1 and other != index:
            problems.append(
                Problem(
                    ("source", "scrape", index, "url"),
                    f"same host and port as source.scrape[{other}] ({target.instance}); "
                    "with several targets the instance label tells their series apart",
                )
            )
    return ScrapeSettings(targets)
