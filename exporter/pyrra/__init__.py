"""Pyrra input: ``ServiceLevelObjective`` manifests (``pyrra.dev/v1alpha1``).

Pyrra (github.com/pyrra-dev/pyrra) describes one SLO per Kubernetes object;
:func:`convert_located` maps them to native SLOs with the origin of every
field, so the native loader judges the result and reports where the user
wrote it. Every Pyrra field is mapped or refused with one line naming it.

- :mod:`~exporter.pyrra.detect`: is this document a Pyrra SLO?
- :mod:`~exporter.pyrra.indicator`: ``indicator`` to the native ``sli``.
- :mod:`~exporter.pyrra.convert`: one manifest to one native SLO.

The field checks, origins and entries are :mod:`exporter.openslo`'s.
"""

from exporter.pyrra.convert import convert_located
from exporter.pyrra.detect import is_pyrra

__all__ = ["convert_located", "is_pyrra"]
