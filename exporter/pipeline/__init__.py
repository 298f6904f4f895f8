"""The one evaluation pipeline every command runs.

::

    config ─load─▶ ConfigGeneration (compiled SLOs, query gate, secrets)   generation.py
       ─route─▶ the first EventCounter that can count each SLO             cycle.py
       ─count at T─▶ window events: direct PromQL | history store          direct.py, stored.py
       ─domain.evaluate_slo (pure)─▶ EvaluationRun ─▶ outputs              cycle.py

A new way of reading events is a new :class:`~exporter.pipeline.counts.EventCounter`;
a new output reads the :class:`~exporter.pipeline.cycle.EvaluationRun`.
"""
