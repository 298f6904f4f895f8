"""OpenSLO files as a config: converted by :mod:`exporter.openslo`, judged by the native rules.

This module is the config package's one way into :mod:`exporter.openslo`.
A directory's documents are read by :func:`directory_documents`;
:func:`load_openslo` converts OpenSLO documents and runs the native checks;
:func:`load_converted` runs them on any converted config
(:mod:`exporter.config.inputs` for inputs of several formats).

The converter checks what OpenSLO itself gets wrong; the native schema
(:class:`exporter.config.schema.ConfigFile`) still has the last word on the
result (SLO name characters, reserved label names, the URL, ...). Its
findings are reported at the OpenSLO field each native field came from::

    slos.yaml:7: SLO "checkout": metadata.labels.slo: label name 'slo' is reserved: ...

A native field the schema does not know means the engine lacks a feature
the OpenSLO input needs; that is reported the same way, and so is whatever
the checks after the schema find (secrets, status thresholds, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from exporter.config.build_settings import validate_and_build
from exporter.config.problems import Problem
from exporter.config.schema import ConfigFile
from exporter.errors import ConfigError
from exporter.openslo import Converted, convert_located, read_openslo
from exporter.settings import Settings
from exporter.yaml_lines import YamlDocument, dotted

Sources = list[tuple[str, YamlDocument]]
"""YAML documents, each with the name of the file it is from."""


def directory_documents(path: Path) -> Sources:
    """Every document of the directory's ``*.yaml``/``*.yml`` files, in file name order."""
    return read_openslo(path)


def native_config(sources: Sources) -> dict[str, Any]:
    """The native config data the OpenSLO ``sources`` convert to."""
    return convert_located(sources).config


def load_openslo(sources: Sources, path: Path) -> Settings:
    """Convert OpenSLO documents, then validate and build them like a native config."""
    return load_converted(convert_located(sources), path)


def load_converted(converted: Converted, path: Path) -> Settings:
    """Validate and build a converted config; findings are put where the input wrote them."""
    check_native(converted)
    problems: list[Problem] = []
    base_dir = path if path.is_dir() else path.parent
    settings = validate_and_build(converted.config, base_dir, path, problems)
    if settings is not None and not settings.slos:
        problems.append(Problem(("slos",), "no SLOs found in the input; nothing to evaluate"))
    if problems or settings is None:
        lines = []
        for problem in problems:
            origin = converted.locate(problem.path)
            lines.append(origin.format(problem.message) if origin else f"{path}: {problem.message}")
        raise ConfigError(lines)
    return settings


def _message(error: Any) -> str:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    if error["type"] == "extra_forbidden":
        return (
            "not supported by this version of slo-exporter: its native config has no "
            f"field {dotted(loc)!r}"
        )
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return " ".join(message.split())


def check_native(converted: Converted) -> None:
    """Raise ConfigError, in OpenSLO terms, unless the native schema accepts the config."""
    try:
        ConfigFile.model_validate(converted.config)
    except ValidationError as error:
        findings = [(tuple(item["loc"]), _message(item)) for item in error.errors()]
        raise ConfigError(converted.report(findings)) from None
