"""Sloth input: ``prometheus/v1`` service files and ``PrometheusServiceLevel`` manifests.

Sloth (github.com/slok/sloth) describes the SLOs of one service per file;
:func:`convert_located` maps them to the native config dict, with the
origin of every native field, so the native loader judges the result and
reports its findings where the user wrote them. Every Sloth field is mapped
or refused with one line naming it; nothing is dropped quietly.

- :mod:`~exporter.sloth.detect`: is this document a Sloth spec, and which form?
- :mod:`~exporter.sloth.queries`: Sloth's ``{{.window}}`` queries as native templates.
- :mod:`~exporter.sloth.alerting`: ``alerting`` to the native ``alerts``.
- :mod:`~exporter.sloth.convert`: one spec's SLOs to native SLOs.

The field checks, origins and entries are :mod:`exporter.openslo`'s.
"""

from exporter.sloth.convert import convert_located
from exporter.sloth.detect import is_sloth

__all__ = ["convert_located", "is_sloth"]
