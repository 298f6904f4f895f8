"""Config data (a native config's mapping) validated and built into :class:`Settings`.

The schema validates the data; then the checks that need several sections
or the outside world run while the domain objects are built: secrets are
read, status thresholds ordered, SLOs of a ``source: scrape`` config checked
for countability. When the schema fails, the sections that did validate
still get those checks, so one run reports as much as it can.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from exporter.config.backend_settings import backend_settings
from exporter.config.build_adjustments import attach_adjustments
from exporter.config.build_composite import resolve_composites
from exporter.config.build_policy import build_policy
from exporter.config.build_slo import DEFAULT_STATUS, check_status, slo, with_links
from exporter.config.problems import Problem
from exporter.config.schema import AlertingConfig, ConfigFile, DefaultsConfig
from exporter.config.schema_backend import BackendConfig
from exporter.config.schema_slo import SLOConfig
from exporter.config.scrape_check import check_scrapable
from exporter.config.source_settings import (
    SOURCE_MESSAGES,
    backend_or_source,
    one_target,
    scrape_settings,
)
from exporter.config.validation_errors import translate
from exporter.domain.durations import format_duration
from exporter.settings import AlertingSettings, BackendSettings, EvaluationSettings, Settings
from exporter.yaml_lines import YamlPath


def validate_and_build(
    data: dict[Any, Any], base_dir: Path, source_path: Path | None, problems: list[Problem]
) -> Settings | None:
    """Validate ``data``; build Settings when it is valid, else check the valid parts further."""
    try:
        config = ConfigFile.model_validate(data)
    except ValidationError as error:
        failed = [translate(item) for item in error.errors()]
        failed = [one_target(p, data) for p in failed if p.message not in SOURCE_MESSAGES]
        failed.extend(backend_or_source(data))
        problems.extend(failed)
        _check_valid_parts(data, base_dir, {p.path[:2] for p in failed}, problems)
        return None
    if config.backend is None:
        backend: BackendSettings | None = BackendSettings(url="")  # placeholder, see Settings
    else:
        backend = backend_settings(config.backend, base_dir, problems)
    check_status(config.defaults.status, DEFAULT_STATUS, ("defaults", "status"), problems)
    slos = tuple(
        with_links(slo(entry, config.defaults, index, problems), entry, config.alerting)
        for index, entry in enumerate(config.slos)
    )
    # adjustments first: a composite's components carry theirs into it
    slos = attach_adjustments(config.budget_adjustments, slos, problems)
    slos = resolve_composites(config.slos, slos, problems)
    _check_stale_after(config, problems)
    scrape = None
    if config.source is not None:
        scrape = scrape_settings(config.source, problems)
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
        policy=build_policy(config.policy),
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
    backend_failed = any(path[:1] == ("backend",) for path in failed)
    if not backend_failed and isinstance(data.get("backend"), dict):  # ``backend:`` may be empty
        backend_settings(BackendConfig.model_validate(data["backend"]), base_dir, problems)
    if any(path[:1] == ("defaults",) for path in failed):
        return
    raw_defaults = data.get("defaults")
    defaults = (
        DefaultsConfig.model_validate(raw_defaults)
        if raw_defaults is not None
        else DefaultsConfig()
    )
    check_status(defaults.status, DEFAULT_STATUS, ("defaults", "status"), problems)
    raw_slos = data.get("slos")
    if not isinstance(raw_slos, list):
        return
    for index, raw in enumerate(raw_slos):
        if ("slos", index) not in failed:
            slo(SLOConfig.model_validate(raw), defaults, index, problems)
