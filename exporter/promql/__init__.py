"""Talking PromQL: check and build queries, and ask a backend for their values.

* :mod:`~exporter.promql.selectors`: the user's selectors and templates,
  checked and parsed into a :class:`~exporter.promql.selectors.Selector`;
* :mod:`~exporter.promql.sli_queries`: the numerator and total queries of an SLI
  over one window;
* :mod:`~exporter.promql.client`: instant queries over HTTP, every failure
  mapped onto :mod:`exporter.errors`.
"""
