"""The ``source`` section (scrape targets instead of a backend) as :class:`ScrapeSettings`.

Also the two rules about ``backend`` and ``source`` that hold whatever else
failed: exactly one of them is given, and a single ``scrape`` mapping is
reported without the ``[0]`` pydantic adds for a list of one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from exporter.config.problems import Problem
from exporter.config.schema_source import (
    BOTH_SOURCES,
    DEFAULT_SCRAPE_TIMEOUT,
    MISSING_SOURCE,
    SourceConfig,
)
from exporter.settings import ScrapeSettings, ScrapeTarget

SOURCE_MESSAGES = frozenset({MISSING_SOURCE, BOTH_SOURCES})
"""The schema's own "backend or source" messages, replaced by :func:`backend_or_source`."""


def backend_or_source(data: dict[Any, Any]) -> list[Problem]:
    """Exactly one of ``backend`` and ``source`` (also when other fields failed)."""
    backend, source = data.get("backend"), data.get("source")
    if backend is None and source is None:
        return [Problem((), MISSING_SOURCE)]
    if backend is not None and source is not None:
        return [Problem(("source",), BOTH_SOURCES)]
    return []


def one_target(problem: Problem, data: dict[Any, Any]) -> Problem:
    """Drop the ``[0]`` pydantic adds inside ``scrape`` when it is one mapping, not a list."""
    source = data.get("source")
    single = isinstance(source, dict) and isinstance(source.get("scrape"), dict)
    if not single or problem.path[:3] != ("source", "scrape", 0):
        return problem
    shown = problem.shown
    if shown is not None and shown[:3] == ("source", "scrape", 0):
        shown = (*shown[:2], *shown[3:])
    return replace(problem, path=(*problem.path[:2], *problem.path[3:]), shown=shown)


def scrape_settings(config: SourceConfig, problems: list[Problem]) -> ScrapeSettings:
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
