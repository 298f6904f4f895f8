"""slo-exporter: SLI counters in, error budgets out."""

__version__ = "0.1.0"
