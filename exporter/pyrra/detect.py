"""Tell a Pyrra manifest by its ``apiVersion`` (``pyrra.dev/...``).

Any version of Pyrra's API group counts, so an unsupported one gets the
converter's clear "only pyrra.dev/v1alpha1" instead of another format's
messages.
"""

from __future__ import annotations

from exporter.openslo.detect import versioned

API_VERSION = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"


def is_pyrra(data: object) -> bool:
    """True for a Kubernetes object of Pyrra's API group."""
    return versioned(data, "pyrra.dev/")
