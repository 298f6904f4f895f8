"""A set of OpenSLO documents to one native config dict, or every problem with it.

:func:`convert` gives the plain dict the native loader validates
(``{"backend": {...}, "slos": [...]}``). :func:`convert_located` also
gives, for every native path, the OpenSLO file, line, object and field it
came from, so whatever the native loader finds can be reported where the
user wrote it (:meth:`Converted.locate`).

Problems are collected over all documents and raised as one
:class:`~exporter.errors.ConfigError`, one line each::

    slos.yaml:14: SLO "checkout": spec.objectives[0].target: target is a ratio ...

Every document is checked, referenced or not; references resolve across
documents and files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exporter.errors import ConfigError
from exporter.openslo import shape
from exporter.openslo.alerting import NOTIFICATIONS, condition_rule, policy_rules
from exporter.openslo.backend import NONE_GIVEN, backend
from exporter.openslo.catalog import Catalog, collect
from exporter.openslo.detect import API_VERSION
from exporter.openslo.entries import Entry, assemble
from exporter.openslo.indicator import indicator
from exporter.openslo.located import Origin, Problem, format_problems
from exporter.openslo.slo import slo
from exporter.yaml_lines import YamlDocument, YamlPath

Sources = Sequence[tuple[str, YamlDocument]]
_UNKNOWN = Origin("<converted>", 0, None, "")


@dataclass(frozen=True)
class Converted:
    """The native config and, for each native path, where it was written in OpenSLO."""

    config: dict[str, Any]
    origins: Mapping[YamlPath, Origin]

    def locate(self, path: YamlPath) -> Origin | None:
        """The origin of ``path`` or of its nearest ancestor (pydantic's ``[key]`` skipped)."""
        parts = tuple(part for part in path if part != "[key]")
        for end in range(len(parts), -1, -1):
            origin = self.origins.get(parts[:end])
            if origin is not None:
                return origin
        return None

    def report(self, findings: Iterable[tuple[YamlPath, str]]) -> list[str]:
        """Messages about native paths, each put where the OpenSLO input wrote that field.

        One line per finding, ordered by input and line, repeats dropped; a path
        with no origin at all is reported as ``<converted>``.
        """
        problems = [Problem(self.locate(path) or _UNKNOWN, message) for path, message in findings]
        return format_problems(problems)


def convert(sources: Sources) -> dict[str, Any]:
    """The native config dict for OpenSLO ``sources``; raises ConfigError on any problem."""
    return convert_located(sources).config


def _check_standalone(catalog: Catalog, problems: shape.Problems) -> None:
    """Check the documents an SLO may refer to, whether or not one does."""
    for sli in catalog.named("SLI").values():
        indicator(sli["spec"], catalog, problems)
    for condition in catalog.named("AlertCondition").values():
        condition_rule(condition, problems)
    for policy in catalog.named("AlertPolicy").values():
        policy_rules(policy, catalog, problems)
    for service in catalog.named("Service").values():
        if shape.mapping(service["spec"], ("description",), problems):
            shape.text(service["spec"]["description"], problems, required=False)
    for target in catalog.named("AlertNotificationTarget").values():
        problems.append(target.problem(f"{NOTIFICATIONS}; remove this document and its targetRefs"))


def convert_located(sources: Sources, *, alone: bool = True) -> Converted:
    """:func:`convert`, with the origin of every native path.

    With ``alone=False`` the documents are part of a config read from several
    formats: they need not give a ``DataSource`` or an ``SLO`` (another file
    may), and the result has no ``backend`` without a ``DataSource``.
    """
    if not sources:
        raise ConfigError(["no OpenSLO documents given"])
    problems: list[Problem] = []
    catalog = collect(sources, problems)
    if not catalog.openslo_found:
        names = ", ".join(dict.fromkeys(source for source, _ in sources))
        raise ConfigError([f"{names}: no OpenSLO documents (apiVersion: {API_VERSION}) found"])
    _check_standalone(catalog, problems)
    server = backend(catalog, problems)
    roots = list(catalog.named("SLO").values())
    if not roots and alone:
        # With problems, an SLO may be among the documents they refuse: say only those.
        if not problems:
            problems.append(
                Problem(
                    Origin(sources[0][0], 0, None, ""),
                    "no SLO documents (kind: SLO) found; nothing to evaluate",
                )
            )
    elif server is None and alone and not catalog.named("DataSource"):
        problems.append(roots[0].problem(NONE_GIVEN))
    slos = [slo(root, catalog, problems) for root in roots]
    if problems:
        raise ConfigError(format_problems(problems))
    assert server is not None or not alone  # a problem was recorded otherwise
    return assembled([entries for entries in slos if entries is not None], server or [])


def assembled(slos: Sequence[list[Entry]], server: Sequence[Entry] = ()) -> Converted:
    """The native config of converted SLOs (and backend), each path with its origin."""
    config, origins = assemble(server)
    config["slos"] = []
    for index, entries in enumerate(slos):
        data, found = assemble(entries)
        config["slos"].append(data)
        origins.update({("slos", index, *path): origin for path, origin in found.items()})
    return Converted(config, origins)
