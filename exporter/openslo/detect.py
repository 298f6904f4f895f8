"""Tell OpenSLO documents from a native config by their ``apiVersion``.

Any ``apiVersion`` starting with ``openslo/`` counts, not only ``openslo/v1``:
an ``openslo/v1alpha`` file then gets the converter's clear "only openslo/v1
is supported" instead of the native loader's "unknown field 'apiVersion'".
"""

from __future__ import annotations

API_VERSION = "openslo/v1"
_PREFIX = "openslo/"


def versioned(data: object, prefix: str, field: str = "apiVersion") -> bool:
    """True for a mapping whose ``field`` is a string starting with ``prefix`` (spaces
    around it ignored): how every input format is told by content."""
    if not isinstance(data, dict):
        return False
    version = data.get(field)
    return isinstance(version, str) and version.strip().startswith(prefix)


def is_openslo_object(item: object) -> bool:
    """True for one mapping whose ``apiVersion`` is an OpenSLO version."""
    return versioned(item, _PREFIX)


def is_openslo(data: object) -> bool:
    """True for an OpenSLO document, or a list holding at least one OpenSLO document."""
    if isinstance(data, list):
        return any(is_openslo_object(item) for item in data)
    return is_openslo_object(data)
