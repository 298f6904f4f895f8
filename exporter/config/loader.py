"""Read a config file into :class:`exporter.settings.Settings`, or explain what is wrong.

:func:`load_config` reads the YAML (:mod:`exporter.yaml_lines`), expands
service templates (:mod:`exporter.config.services`), validates the data and
builds the domain objects (:mod:`exporter.config.build_settings`). OpenSLO,
Sloth and Pyrra files, and directories mixing them with native files, take
the same path after conversion (:mod:`exporter.config.openslo_input`,
:mod:`exporter.config.inputs`). Every user mistake ends in one
:class:`~exporter.errors.ConfigError` that lists all problems found, one
line each::

    config.yaml:42: slos[2] "checkout-latency": sli.latency.threshold: threshold must be ...
    config.yaml:7: backend.timeout: '10 seconds' is not a duration: ...

Secret values never appear in a message: only the file or variable they
were to be read from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from exporter.config.build_settings import validate_and_build
from exporter.config.duplicates import duplicate_keys, duplicate_names
from exporter.config.inputs import convert_inputs, formats
from exporter.config.openslo_input import (
    Sources,
    directory_documents,
    load_converted,
    load_openslo,
    native_config,
)
from exporter.config.problems import Problem, format_problems
from exporter.config.services import expand_services, from_template
from exporter.errors import ConfigError
from exporter.settings import REDACTED, Settings, is_secret_header
from exporter.yaml_bounded import is_directory, read_config_text
from exporter.yaml_lines import (
    YamlDocument,
    YamlPath,
    YamlSyntaxError,
    describe,
    load_yaml_all,
)


def load_config(path: str | Path) -> Settings:
    """Load and validate the config at ``path``; raise ConfigError on any mistake.

    ``path`` is a native config file, an OpenSLO v1, Sloth or Pyrra file (one
    or more documents) or a directory of such files, formats mixed; every
    format is converted to the native config and checked by the same rules.
    """
    settings, _ = _read(path)
    return settings


def effective_config(path: str | Path) -> dict[str, Any]:
    """The config's data after templates expand, as plain YAML-ready data (for ``show``).

    The file is validated first (ConfigError on any mistake). Values of secret
    headers (:func:`~exporter.settings.is_secret_header`) are ``<redacted>``.
    """
    _, data = _read(path)
    return without_secrets(data())


def _read(path: str | Path) -> tuple[Settings, Callable[[], dict[str, Any]]]:
    """The settings of the config at ``path``, and a function giving its native data."""
    file = Path(path)
    if is_directory(file):
        return _read_inputs(directory_documents(file), file)
    try:
        documents = load_yaml_all(read_config_text(file))
    except YamlSyntaxError as error:
        raise ConfigError([error.problem(path)]) from None
    sources = [(str(path), document) for document in documents]
    if not formats(sources) <= {"native"}:
        return _read_inputs(sources, file)
    settings = _load(documents, str(path), file)
    return settings, lambda: _expanded(documents[0].data)


def _read_inputs(sources: Sources, file: Path) -> tuple[Settings, Callable[[], dict[str, Any]]]:
    """OpenSLO documents alone, or documents of several formats (native, Sloth, Pyrra)."""
    if formats(sources) <= {"openslo"}:
        return load_openslo(sources, file), lambda: native_config(sources)
    converted = convert_inputs(sources)
    return load_converted(converted, file), lambda: converted.config


def _expanded(data: dict[Any, Any]) -> dict[str, Any]:
    expanded, _ = expand_services(data, [])
    expanded.pop("services", None)
    return expanded


def without_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the values of secret headers replaced by ``<redacted>``."""
    backend = data.get("backend")
    if not isinstance(backend, dict) or not isinstance(backend.get("headers"), dict):
        return data
    headers = {
        name: REDACTED if is_secret_header(name) else value
        for name, value in backend["headers"].items()
    }
    return {**data, "backend": {**backend, "headers": headers}}


def _load(documents: list[YamlDocument], source: str, file: Path) -> Settings:
    """Load the native config ``documents`` of ``file``; ``source`` names the file in messages."""
    if len(documents) > 1:
        line = documents[1].line_of(())
        where = source if line is None else f"{source}:{line}"
        raise ConfigError(
            [f"{where}: invalid YAML: a second document; a native config is one YAML document"]
        )
    document = documents[0] if documents else YamlDocument(data=None)
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
    expanded, origins = expand_services(data, problems)
    settings = validate_and_build(expanded, file.parent, file, problems)
    if settings is not None and not settings.slos:
        at: YamlPath = ("slos",) if "slos" in data else ()
        problems.append(Problem(at, "no SLOs listed; add at least one under 'slos' or 'services'"))
    if problems or settings is None:
        problems = [from_template(problem, expanded, origins) for problem in problems]
        raise ConfigError(format_problems(source, document, problems))
    return settings
