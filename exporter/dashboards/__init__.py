"""Grafana dashboards for the exporter's series, generated from code.

:mod:`exporter.dashboards.generate` builds them as plain JSON-ready data (pure
functions); :mod:`exporter.dashboards.command` is the ``dashboard`` subcommand
that writes them to files. The committed ``grafana/dashboards/*.json`` are the
generic output: they work for any config because every query goes through
template variables.
"""
