"""``slo-exporter discover``: services and their instrumentation found in a backend, with
objectives suggested from what they achieved."""
