"""The one-word status of an SLO.

The rule, first match wins:

1. ``no_data``   - the period had no traffic, so there is no budget to judge;
2. ``exhausted`` - the period's remaining budget is <= 0;
3. ``critical``  - burn rate over the status window > ``critical`` (default 2);
4. ``warning``   - burn rate over the status window > ``warning`` (default 1.5);
5. ``attention`` - burn rate over the status window > ``attention`` (default 1);
6. ``healthy``   - otherwise, including no traffic in the status window.

An SLO without a current evaluation (the latest one failed, or none has succeeded
yet) is ``unknown`` (:func:`reported_status`): the numbers can't say, and a failing
backend must not read as a quiet service.
"""

from __future__ import annotations

from exporter.domain.model import Status, StatusPolicy


def status_of(remaining: float | None, window_burn: float | None, policy: StatusPolicy) -> Status:
    """Name the status from the remaining budget and the status window's burn rate."""
    if remaining is None:
        return Status.NO_DATA
    if remaining <= 0:
        return Status.EXHAUSTED
    return _burn_status(window_burn, policy)


def _burn_status(window_burn: float | None, policy: StatusPolicy) -> Status:
    """The status named by the status window's burn rate alone (rules 3 to 6)."""
    if window_burn is None:
        return Status.HEALTHY
    bands = (
        (Status.CRITICAL, policy.critical),
        (Status.WARNING, policy.warning),
        (Status.ATTENTION, policy.attention),
    )
    for status, bound in bands:
        if window_burn > bound:
            return status
    return Status.HEALTHY


def reported_status(evaluated: Status | None) -> Status:
    """What to report: the latest evaluation's status, or ``unknown`` when it has none."""
    return Status.UNKNOWN if evaluated is None else evaluated
