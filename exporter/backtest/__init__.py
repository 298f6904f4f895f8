"""``slo-exporter backtest``: the config's alert conditions replayed over a past period."""
