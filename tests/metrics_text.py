"""Reading /metrics text back into samples for assertions."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, frozenset[tuple[str, str]]]


def parse(text: str) -> dict[Key, float]:
    """Every sample as ``(name, frozenset(labels)) -> value``."""
    samples: dict[Key, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def pick(samples: dict[Key, float], name: str, **labels: str) -> dict[frozenset, float]:
    """Samples called ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return {lbl: v for (n, lbl), v in samples.items() if n == name and want <= lbl}


def one(samples: dict[Key, float], name: str, **labels: str) -> float:
    """The value of the single sample called ``name`` with ``labels``; fails otherwise."""
    found = pick(samples, name, **labels)
    assert len(found) == 1, f"{name}{labels}: expected one sample, got {found}"
    return next(iter(found.values()))
