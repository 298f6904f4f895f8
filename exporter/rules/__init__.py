"""``slo-exporter rules``: Prometheus rules that alert on the configured SLOs.

Two modes, the same alerts:

- ``exporter`` (:mod:`exporter.rules.exporter_mode`): alerting rules over the
  gauges slo-exporter serves; the exporter does the math.
- ``native`` (:mod:`exporter.rules.native`): recording rules over the raw
  counters, summed step by step into every window, plus the same alerts,
  for Prometheus to evaluate on its own.

Generators are pure functions of the loaded settings returning plain dicts
and lists; only :mod:`exporter.rules.command` turns them into YAML.
"""
