"""What a grouped SLO (``group_by``, ``max_groups``) accepts, and its mistakes as one line each."""

from __future__ import annotations

import pytest
from config_text import load_text, problems

GROUPED = """\
backend:
  url: http://127.0.0.1:9090
slos:
  - name: api
    service: api
    objective: 99
    group_by: [route]
    sli:
      ratio:
        bad: api_requests_total{code=~"5.."}
        total: api_requests_total
"""
"""Line 7 is ``group_by``, line 8 the ``sli``."""


def test_group_by_builds_a_grouping_with_the_default_cap():
    """``group_by`` alone groups by those labels with at most 1,000 groups."""
    (slo,) = load_text(GROUPED).slos
    assert slo.grouping is not None
    assert slo.grouping.labels == ("route",)
    assert slo.grouping.max_groups == 1000


def test_a_scrape_config_may_group():
    """With ``source: scrape`` the groups come from the scraped series: the config loads."""
    (slo,) = load_text(SCRAPE).slos
    assert slo.grouping is not None


def test_max_groups_and_several_labels():
    """Several labels keep their order; ``max_groups`` sets the cap."""
    text = GROUPED.replace("[route]", "[route, method]\n    max_groups: 50")
    (slo,) = load_text(text).slos
    assert slo.grouping is not None
    assert slo.grouping.labels == ("route", "method")
    assert slo.grouping.max_groups == 50


QUERY_SLI = GROUPED.replace(
    """      ratio:
        bad: api_requests_total{code=~"5.."}
        total: api_requests_total
""",
    """      query:
        bad: sum(increase(api_requests_total{code=~"5.."}[{{window}}]))
        total: sum(increase(api_requests_total[{{window}}]))
""",
)
SCRAPE = GROUPED.replace(
    "backend:\n  url: http://127.0.0.1:9090\n",
    "source:\n  scrape: {url: http://127.0.0.1:9100/metrics}\n",
)

MISTAKES = [
    ("query-sli", QUERY_SLI, 7, "group_by: a query SLI cannot be grouped"),
    (
        "label-clash",
        GROUPED.replace("    group_by", "    labels: {route: all}\n    group_by"),
        8,
        "group_by: label 'route' is both a group label and one of the SLO's labels",
    ),
    ("reserved", GROUPED.replace("[route]", "[service]"), 7, "label name 'service' is reserved"),
    ("empty", GROUPED.replace("[route]", "[]"), 7, "list at least one label"),
    ("twice", GROUPED.replace("[route]", "[route, route]"), 7, "label 'route' is listed twice"),
    (
        "cap-without-groups",
        GROUPED.replace("    group_by: [route]", "    max_groups: 5"),
        4,
        "'max_groups' only applies with 'group_by'",
    ),
    (
        "cap-zero",
        GROUPED.replace("[route]", "[route]\n    max_groups: 0"),
        8,
        "max_groups must be from 1 to 100,000; got 0",
    ),
    (
        "cap-text",
        GROUPED.replace("[route]", "[route]\n    max_groups: many"),
        8,
        "max_groups must be a whole number",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [case[1:] for case in MISTAKES],
    ids=[case[0] for case in MISTAKES],
)
def test_grouping_mistakes_are_one_line_naming_file_line_and_slo(text, line, fragment):
    """Each mistake is one line: the file and line, the SLO, the field and what is wrong."""
    found = problems(text)
    assert len(found) == 1, found
    assert found[0].startswith(f'c.yaml:{line}: slos[0] "api"'), found
    assert fragment in found[0], found
