"""Budget adjustments: the config's checks (one line each), the spans they take out and
the arithmetic that takes their events out of each window."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from config_text import GOOD, load_text, problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.config.loader import load_config
from exporter.config.recurrence import occurrences
from exporter.domain.adjusted_steps import cut_pieces, without_spans
from exporter.domain.adjustments import (
    Adjustment,
    active,
    adjusted,
    excluded,
    window_spans,
)
from exporter.domain.budget import WindowEvents
from exporter.domain.report import StepSeries
from exporter.errors import ConfigError

HOUR, DAY = 3600, 86400
START = datetime(2026, 11, 1, tzinfo=UTC).timestamp()  # a Sunday

SECOND_SLO = """\
  - name: search
    service: search
    objective: 99
    labels: {team: discovery}
    sli:
      ratio:
        good: search_requests_total{code!~"5.."}
        total: search_requests_total
"""


def config_with(adjustments: str) -> str:
    """The valid two-SLO config followed by ``adjustments`` (a YAML block); the first
    adjustment's ``name`` is on line 20."""
    return GOOD + SECOND_SLO + "budget_adjustments:\n" + adjustments


ONE_OFF = """\
  - name: migration
    reason: planned database migration
    from: 2026-11-20T10:00:00Z
    to: 2026-11-20T12:00:00Z
    slos: [checkout]
"""


def test_adjustments_attach_to_the_slos_they_select():
    """``slos`` selects by name, ``match`` by service and labels; the rrule is parsed."""
    settings = load_text(
        config_with(
            ONE_OFF
            + "  - {name: sundays, reason: weekly maintenance, from: 2026-11-01T02:00:00Z,\n"
            "     duration: 2h, rrule: 'FREQ=WEEKLY;BYDAY=SU',\n"
            "     match: {labels: {team: discovery}}}\n"
        )
    )
    checkout, search = settings.slos
    assert [a.name for a in checkout.adjustments] == ["migration"]
    assert checkout.adjustments[0].length == 2 * HOUR
    assert [a.name for a in search.adjustments] == ["sundays"]
    assert search.adjustments[0].recurrence == "FREQ=WEEKLY;BYDAY=SU"


@pytest.mark.parametrize(
    ("adjustments", "expected"),
    [
        (
            ONE_OFF.replace("[checkout]", "[checkout, checkout-latency]"),
            "c.yaml:24: budget_adjustments[0].slos[1]: unknown SLO 'checkout-latency'",
        ),
        (
            ONE_OFF.replace("to: 2026-11-20T12", "to: 2026-11-20T09"),
            "c.yaml:23: budget_adjustments[0].to: 'to' must be after 'from'",
        ),
        (
            ONE_OFF + "    rrule: FREQ=SOMETIMES\n",
            "c.yaml:25: budget_adjustments[0].rrule: not an RFC 5545 recurrence rule "
            "(invalid 'FREQ': SOMETIMES); e.g. FREQ=WEEKLY;BYDAY=SU",
        ),
        (
            ONE_OFF + "    rrule: FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z\n",
            "c.yaml:25: budget_adjustments[0].rrule: give COUNT or UNTIL, not both (RFC 5545)",
        ),
        (
            ONE_OFF + "    rrule: FREQ=HOURLY\n",
            "c.yaml:25: budget_adjustments[0].rrule: FREQ must be one of YEARLY, MONTHLY, "
            "WEEKLY, DAILY: an adjustment recurs at most daily",
        ),
        (
            ONE_OFF.replace("to: 2026-11-20T12:00:00Z", "duration: 1m")
            + "    rrule: FREQ=DAILY;BYHOUR=1,2,3\n",
            "c.yaml:25: budget_adjustments[0].rrule: more than 62 occurrences in 30 days",
        ),
        (
            ONE_OFF + "    rrule: FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\n",
            "c.yaml:25: budget_adjustments[0].rrule: the rule has no occurrence",
        ),
        (
            ONE_OFF.replace("to: 2026-11-20T12:00:00Z", "duration: 2d") + "    rrule: FREQ=DAILY\n",
            "c.yaml:25: budget_adjustments[0].rrule: occurrences overlap each other",
        ),
        (
            ONE_OFF + ONE_OFF.replace("migration", "rollback").replace("T10:", "T11:"),
            "c.yaml:27: budget_adjustments[1].from: adjustment 'rollback' overlaps adjustment "
            "'migration' (budget_adjustments[0]) for SLO 'checkout' at 2026-11-20T11:00:00Z; "
            "adjustments of one SLO must not overlap",
        ),
        (
            ONE_OFF.replace("slos: [checkout]", "match: {service: billing}"),
            "c.yaml:24: budget_adjustments[0].match: matches no SLO of this config",
        ),
        (
            ONE_OFF.replace("    slos:", "    duration: 1h\n    slos:"),
            "c.yaml:20: budget_adjustments[0]: give either 'to' or 'duration', not both",
        ),
        (
            ONE_OFF.replace("    slos: [checkout]\n", ""),
            "c.yaml:20: budget_adjustments[0]: give 'slos' (names) or 'match'",
        ),
        (
            ONE_OFF.replace("from: 2026-11-20T10:00:00Z", "from: 2026-11-20"),
            "c.yaml:22: budget_adjustments[0].from: 2026-11-20 has no time of day",
        ),
    ],
    ids=[
        "unknown-slo", "to-before-from", "bad-rrule", "count-and-until", "too-often",
        "too-dense", "never", "recurs-into-itself", "overlap",
        "match-nothing", "to-and-duration", "no-selection", "date-only",
    ],
)  # fmt: skip
def test_bad_adjustments_are_one_line_naming_file_line_and_field(adjustments, expected):
    """Each mistake is one line with the file, the line and the field."""
    (line,) = problems(config_with(adjustments))
    assert line.startswith(expected), line


def test_a_rule_searched_for_too_long_is_refused(monkeypatch):
    """dateutil looks for the next occurrence of a rule that never happens up to the year
    9999 (seconds for a daily one): past the search time the rule is refused in one line.
    (The search time is 0 here, and the rule monthly, so the search thread ends soon.)"""
    monkeypatch.setattr("exporter.config.recurrence.SEARCH_SECONDS", 0.0)
    (line,) = problems(config_with(ONE_OFF + "    rrule: FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30\n"))
    assert line.startswith(
        "c.yaml:25: budget_adjustments[0].rrule: found no end to the rule's occurrences in 0 s"
    ), line


def test_recurring_adjustments_overlapping_later_are_refused():
    """A weekly window and a one-off on a later Sunday of the same hours clash."""
    sundays = (
        "  - {name: sundays, reason: maintenance, from: 2026-11-01T02:00:00Z, duration: 2h,\n"
        "     rrule: 'FREQ=WEEKLY;BYDAY=SU', slos: [checkout]}\n"
    )
    one_off = ONE_OFF.replace("2026-11-20T10", "2026-12-13T03").replace(
        "2026-11-20T12", "2026-12-13T05"
    )
    (line,) = problems(config_with(sundays + one_off))
    assert "overlaps adjustment 'sundays'" in line
    assert "at 2026-12-13T03:00:00Z" in line


def _weekly() -> Adjustment:
    starts = occurrences("FREQ=WEEKLY", START, 2 * HOUR)
    return Adjustment("sundays", START, 2 * HOUR, recurrence="FREQ=WEEKLY", starts=starts)


def test_a_recurring_adjustment_takes_out_each_occurrence_clipped_to_the_window():
    """Weekly two hours: a window of 15 days holds two whole occurrences and the edge of a
    third; a one-off adjustment next to one of them is joined to it."""
    at = START + 15 * DAY + HOUR
    spans = excluded([_weekly()], at - 15 * DAY, at)
    assert spans == [
        (START + HOUR, START + 2 * HOUR),
        (START + 7 * DAY, START + 7 * DAY + 2 * HOUR),
        (START + 14 * DAY, START + 14 * DAY + 2 * HOUR),
    ]
    touching = Adjustment("more", START + 7 * DAY + 2 * HOUR, HOUR)
    joined = excluded([_weekly(), touching], at - 15 * DAY, at)
    assert joined[1] == (START + 7 * DAY, START + 7 * DAY + 3 * HOUR)


@pytest.mark.parametrize(
    ("at", "in_force"),
    [(START, False), (START + 1, True), (START + 2 * HOUR, True), (START + 2 * HOUR + 1, False),
     (START + 7 * DAY + 60, True)],
)  # fmt: skip
def test_an_adjustment_is_active_inside_its_occurrences(at, in_force):
    """In force for ``start < T <= end`` of any occurrence, like the events it takes out."""
    assert bool(active([_weekly()], at)) is in_force


def test_events_inside_the_spans_are_taken_out_of_each_window_they_fall_in():
    """Each window loses the events of the spans inside it, never going below zero."""
    at = START + DAY
    one_off = Adjustment("x", at - 2 * HOUR, HOUR)
    spans = window_spans([one_off], (300, 3 * HOUR, DAY), at)
    assert spans == {3 * HOUR: [(at - 2 * HOUR, at - HOUR)], DAY: [(at - 2 * HOUR, at - HOUR)]}
    events = {w: WindowEvents(900.0, 1000.0) for w in (300, 3 * HOUR, DAY)}
    inside = {(at - 2 * HOUR, at - HOUR): WindowEvents(50.0, 100.0)}
    out = adjusted(events, spans, inside)
    assert out == {
        300: WindowEvents(900.0, 1000.0),
        3 * HOUR: WindowEvents(850.0, 900.0),
        DAY: WindowEvents(850.0, 900.0),
    }
    assert adjusted(events, spans, {k: WindowEvents(5e3, 5e3) for k in inside})[DAY] == (
        WindowEvents(0.0, 0.0)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rule=st.one_of(
        st.text(max_size=60),
        st.lists(
            st.sampled_from(["FREQ=DAILY", "FREQ=WEEKLY", "BYDAY=SU", "INTERVAL=2", "COUNT=3",
                             "UNTIL=20270101T000000Z", "BYHOUR=3", "FREQ=MINUTELY", "BYMONTH=13",
                             "INTERVAL=0", "COUNT=-1", "WKST=XX"]),
            max_size=4,
        ).map(";".join),
    ),
    start=st.one_of(st.text(max_size=30), st.just("2026-11-01T02:00:00Z")),
)  # fmt: skip
def test_any_rrule_or_start_loads_or_is_one_line(tmp_path_factory, rule, start):
    """Whatever is written as ``rrule`` and ``from``, the config loads or fails with
    one-line problems naming the file: never a traceback."""
    text = config_with(
        "  - name: fuzz\n    reason: r\n"
        f"    from: {json_quote(start)}\n    duration: 1h\n"
        f"    rrule: {json_quote(rule)}\n    slos: [checkout]\n"
    )
    path = tmp_path_factory.mktemp("fuzz") / "c.yaml"
    path.write_text(text, encoding="utf-8")
    found: list[str] = []
    try:
        load_config(path)
    except ConfigError as error:
        found = list(error.problems) or ["a ConfigError without problems"]
    assert all("\n" not in p and p.startswith(str(path)) for p in found), found


def json_quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON escapes are valid YAML ones)."""
    return json.dumps(text)


@pytest.mark.parametrize(
    ("span", "good", "total", "pieces"),
    [
        ((0, 600), [0, 0, 90, 90], [0, 0, 100, 100], []),
        ((150, 450), [45, 45, 90, 90], [50, 50, 100, 100], [(150, 300), (300, 450)]),
        ((450, 1200), [90, 45, 0, 0], [100, 50, 0, 0], [(450, 600)]),
    ],
    ids=["whole-steps", "cut-both-edges", "past-the-end"],
)
def test_report_steps_lose_the_events_inside_an_adjustment(span, good, total, pieces):
    """Steps wholly inside an adjustment count nothing; a step its edge cuts loses the
    events of the part inside (counted separately: here half of the step's)."""
    steps = StepSeries.of(300, [300, 600, 900, 1200], [WindowEvents(90, 100)] * 4)
    spans = excluded([Adjustment("x", span[0], span[1] - span[0])], 0, 1200)
    cut = cut_pieces(steps, spans)
    assert cut == pieces
    halves = {piece: WindowEvents(45, 50) for piece in cut}
    out = without_spans(steps, spans, halves)
    assert list(out.good) == good
    assert list(out.total) == total


@pytest.mark.parametrize(
    ("rule", "first", "dates"),
    [
        ("FREQ=MONTHLY;BYDAY=-1SU", "2026-01-25T02:00:00Z",
         ["2026-01-25", "2026-02-22", "2026-03-29", "2026-04-26"]),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU", "2026-01-03T02:00:00Z",
         ["2026-01-03", "2026-01-04", "2026-01-17", "2026-01-18"]),
        ("FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3", "2026-01-01T02:00:00Z",
         ["2026-01-01", "2026-02-01", "2026-03-01"]),
        ("FREQ=DAILY;UNTIL=20260103T020000Z", "2026-01-01T02:00:00Z",
         ["2026-01-01", "2026-01-02", "2026-01-03"]),
    ],
    ids=["last-sunday-monthly", "every-other-weekend", "count", "until"],
)  # fmt: skip
def test_rrules_expand_to_the_rfc_5545_occurrences(rule, first, dates):
    """Ordinal weekdays, intervals, COUNT and UNTIL expand to the dates RFC 5545 gives
    (written out by hand), each at the time of day of ``from``."""
    start = datetime.fromisoformat(first.replace("Z", "+00:00")).timestamp()
    starts = occurrences(rule, start, 2 * HOUR)
    shown = [datetime.fromtimestamp(s, UTC).strftime("%Y-%m-%d %H:%M") for s in starts[:4]]
    assert shown == [f"{d} 02:00" for d in dates]
