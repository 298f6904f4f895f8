"""The one-word status of an SLO.

The rule, first match wins:

1. ``no_data``   - the period had no traffic, so there is no budget to judge;
2. ``exhausted`` - the period's remaining budget is <= 0;
3. ``critical``  - burn rate over the status window > ``critical`` (default 2);
4. ``warning``   - burn rate over the status window > ``warning`` (default 1.5);
5. ``attention`` - burn rate over the status window > ``attention`` (default 1);
6. ``healthy``   - otherwise, including no traffic in the status window.
"""

from __future__ import annotations

from exporter.domain.model import Status, StatusPolicy


def status_of(remaining: float | None, window_burn: float | None, policy: StatusPolicy) -> Status:
    """Name the status from the remaining budget and the status window's burn rate."""
    if remaining is None:
        return Status.NO_DATA
    if remaining <= 0:
        return Status.EXHAUSTED
    if window_burn is None:
        return Status.HEALTHY
    if window_burn > policy.critical:
        return Status.CRITICAL
    if window_burn > policy.warning:
        return Status.WARNING
    if window_burn > policy.attention:
        return Status.ATTENTION
    return Status.HEALTHY
