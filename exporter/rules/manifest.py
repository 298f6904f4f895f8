"""The two documents rule groups are shipped in: a rule file, or a PrometheusRule object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from exporter.rules.rule import Group

API_VERSION = "monitoring.coreos.com/v1"


def rule_file(groups: Sequence[Group]) -> dict[str, Any]:
    """A Prometheus rule file (``rule_files:`` in prometheus.yml)."""
    return {"groups": list(groups)}


def default_labels(mode: str) -> dict[str, str]:
    """Labels a PrometheusRule gets unless overridden."""
    return {
        "app.kubernetes.io/name": "slo-exporter",
        "app.kubernetes.io/component": f"{mode}-rules",
    }


def prometheus_rule(
    groups: Sequence[Group], name: str, labels: Mapping[str, str], namespace: str | None = None
) -> dict[str, Any]:
    """The same groups in a prometheus-operator ``PrometheusRule`` object.

    The operator's Prometheus only loads it when ``labels`` match its ``ruleSelector``.
    """
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = dict(labels)
    return {
        "apiVersion": API_VERSION,
        "kind": "PrometheusRule",
        "metadata": metadata,
        "spec": {"groups": list(groups)},
    }
