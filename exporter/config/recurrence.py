"""An adjustment's ``rrule`` (RFC 5545) expanded into the start of every occurrence.

python-dateutil reads the rule. The expansion happens once, at load, so no
evaluation touches dateutil: a rule recurs at most daily
(:data:`FINEST`), is expanded for :data:`YEARS` years from ``from``, and may
hold at most :data:`MOST_IN_30_DAYS` occurrences in any 30 days. dateutil looks
for the next occurrence until the year 9999 when there is none, which takes
seconds for a rule that can never happen (``BYMONTH=2;BYMONTHDAY=30``): the
expansion runs in a thread given :data:`SEARCH_SECONDS`, and such a rule is
refused (its thread ends by itself once dateutil gives up).
"""

from __future__ import annotations

import itertools
import threading
import warnings
from datetime import UTC, datetime, timedelta

from dateutil.rrule import DAILY, rrule, rrulestr

YEARS = 10
FINEST = DAILY
MOST_IN_30_DAYS = 62
MOST = YEARS * 366 * 2
"""Occurrences at most in all: twice a day for ten years (the 30-day limit keeps below)."""
SEARCH_SECONDS = 1.0
"""A hundred times what a rule that happens needs (a daily one: under 10 ms), so a busy
machine does not refuse one, and short enough that a hostile config is still answered
within the 2 s the config tests allow."""
_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")


def occurrences(text: str, start: float, length: float) -> tuple[float, ...]:
    """The start of every occurrence of the rule ``text`` from ``start`` (its DTSTART)
    for :data:`YEARS` years; ValueError (one line) for a rule this refuses."""
    rule = _parse(text, start)
    begin = datetime.fromtimestamp(start, UTC)
    horizon = begin + timedelta(days=365 * YEARS)
    given_until: datetime | None = getattr(rule, "_until", None)  # dateutil keeps them private
    given_count: int | None = getattr(rule, "_count", None)
    until = given_until if given_until is not None and given_until < horizon else horizon
    count = given_count if given_count is not None else MOST + 1
    bounded = rule.replace(count=None, until=until)
    found: list[datetime] = []
    failed: list[BaseException] = []

    def expand() -> None:
        try:
            found.extend(itertools.islice(bounded, min(count, MOST + 1)))
        except (ValueError, OverflowError, TypeError) as error:  # dateutil past year 9999
            failed.append(error)

    # a daemon thread never keeps the process alive; it ends when dateutil gives up
    search = threading.Thread(target=expand, name="rrule", daemon=True)
    search.start()
    search.join(SEARCH_SECONDS)
    if search.is_alive():
        raise ValueError(
            f"found no end to the rule's occurrences in {SEARCH_SECONDS:g} s of searching; "
            "a rule that never happens (such as BYMONTH=2;BYMONTHDAY=30) cannot adjust"
        )
    if failed:
        raise ValueError(f"cannot expand the rule: {_first_line(failed[0])}")
    starts = [moment.timestamp() for moment in found]
    _check(starts, length)
    return tuple(starts)


def _parse(text: str, start: float) -> rrule:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # COUNT with UNTIL: see below
            rule = rrulestr(
                text.strip().removeprefix("RRULE:"), dtstart=datetime.fromtimestamp(start, UTC)
            )
    except (ValueError, TypeError, OverflowError, IndexError) as error:
        raise ValueError(
            f"not an RFC 5545 recurrence rule ({_first_line(error)}); e.g. FREQ=WEEKLY;BYDAY=SU"
        ) from None
    if not isinstance(rule, rrule):
        raise ValueError("give one RRULE such as FREQ=WEEKLY;BYDAY=SU")
    if getattr(rule, "_count", None) is not None and getattr(rule, "_until", None) is not None:
        raise ValueError("give COUNT or UNTIL, not both (RFC 5545)")
    if getattr(rule, "_freq", FINEST) > FINEST:
        raise ValueError(
            f"FREQ must be one of {', '.join(_FREQUENCIES)}: an adjustment recurs at most daily"
        )
    return rule


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [""])[0][:120] or type(error).__name__


def _check(starts: list[float], length: float) -> None:
    if not starts:
        raise ValueError("the rule has no occurrence")
    for earlier, later in itertools.pairwise(starts):
        if later < earlier + length:
            raise ValueError(
                "occurrences overlap each other: each lasts longer than the time between two"
            )
    month = 30 * 86400
    for first, last in zip(starts, starts[MOST_IN_30_DAYS:], strict=False):
        if last - first < month:
            raise ValueError(
                f"more than {MOST_IN_30_DAYS} occurrences in 30 days; an adjustment may recur "
                "at most about twice a day"
            )
