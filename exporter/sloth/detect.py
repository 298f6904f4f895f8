"""Tell a Sloth document by its ``version`` or, for the Kubernetes manifest, ``apiVersion``.

A service file says ``version: prometheus/v1``; a ``PrometheusServiceLevel``
manifest says ``apiVersion: sloth.slok.dev/v1``. Any ``prometheus/`` version
counts, so another version gets the converter's clear "only prometheus/v1"
instead of the native loader's "unknown field".
"""

from __future__ import annotations

from exporter.openslo.detect import versioned

VERSION = "prometheus/v1"
API_VERSION = "sloth.slok.dev/v1"
KIND = "PrometheusServiceLevel"


def is_manifest(data: object) -> bool:
    """True for a Kubernetes object of Sloth's API group."""
    return versioned(data, "sloth.slok.dev/")


def is_sloth(data: object) -> bool:
    """True for a Sloth service file or a ``PrometheusServiceLevel`` manifest."""
    return versioned(data, "prometheus/", field="version") or is_manifest(data)
