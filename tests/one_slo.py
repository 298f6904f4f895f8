"""The smallest useful config: one availability SLO on ``http_requests_total``.

Tests that need a daemon but not any particular SLO write this one, so a change to the
config format is made in one place.
"""

from __future__ import annotations

ONE_SLO = """\
slos:
  - name: checkout-availability
    service: checkout
    objective: 99
    sli:
      ratio:
        good: http_requests_total{code!~"5.."}
        total: http_requests_total
"""


def one_slo_config(url: str, *, timeout: str | None = "1s", interval: str | None = "1h") -> str:
    """The config text: ``backend.url`` (and ``timeout``), ``evaluation.interval``, the SLO."""
    lines = ["backend:", f"  url: {url}"]
    if timeout is not None:
        lines.append(f"  timeout: {timeout}")
    if interval is not None:
        lines += ["evaluation:", f"  interval: {interval}"]
    return "\n".join(lines) + "\n" + ONE_SLO
