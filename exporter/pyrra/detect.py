"""Tell a Pyrra manifest by its ``apiVersion`` (``pyrra.dev/...``).

Any version of Pyrra's API group counts, so an unsupported one gets the
converter's clear "only pyrra.dev/v1alpha1" instead of another format's
messages.
"""

from __future__ import annotations

API_VERSION = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"


def is_pyrra(data: object) -> bool:
    """True for a Kubernetes object of Pyrra's API group."""
    if not isinstance(data, dict):
        return False
    version = data.get("apiVersion")
    return isinstance(version, str) and version.strip().startswith("pyrra.dev/")
