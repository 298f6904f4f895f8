"""OpenSLO files as a config: converted by :mod:`exporter.openslo`, judged by the native schema.

The converter checks what OpenSLO itself gets wrong; the native schema
(:class:`exporter.config.schema.ConfigFile`) still has the last word on the
result (SLO name characters, reserved label names, the URL, ...). Its
findings are reported at the OpenSLO field each native field came from::

    slos.yaml:7: SLO "checkout": metadata.labels.slo: label name 'slo' is reserved: ...

A native field the schema does not know means the engine lacks a feature
the OpenSLO input needs; that is reported the same way.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from exporter.config.schema import ConfigFile
from exporter.errors import ConfigError
from exporter.openslo import Converted
from exporter.yaml_lines import dotted


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
