"""``slo-exporter report``: SLO figures over a past period, as JSON, Markdown or HTML."""
