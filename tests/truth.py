"""Ground truth for the test SLOs, from the generator's exact increments.

Each test SLO maps to functions giving its good and total events over
(t - window, t], computed from :class:`history.History` alone, never from
the exporter. The test config below uses the same names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from history import History

Events = Callable[[History, float, float], float]


def _5xx(code: str) -> bool:
    return code.startswith("5")


def not_5xx(code: str) -> bool:
    """The ``code`` label of a good request: anything but 5xx."""
    return not code.startswith("5")


@dataclass(frozen=True)
class TruthSLO:
    """An SLO of the test config with its objective, period and exact event counts."""

    name: str
    objective: float
    period: int
    good: Events
    total: Events


Labels = dict[str, str | Callable[[str], bool]]


def _increase(metric: str, labels: Labels) -> Events:
    """The generator's exact increase of ``metric``'s series matching ``labels``."""
    return lambda h, t, w: h.increase(metric, labels, t, w)


def _requests(service: str, code: Callable[[str], bool] | None = None) -> Events:
    labels: Labels = {"service": service}
    if code is not None:
        labels["code"] = code
    return _increase("http_requests_total", labels)


def _bucket(le: str) -> Events:
    return _increase("http_request_duration_seconds_bucket", {"service": "checkout", "le": le})


_search_total = _increase("search_requests_total", {"service": "search"})
_search_errors = _increase("search_errors_total", {"service": "search"})


def _search_good(h: History, t: float, w: float) -> float:
    return _search_total(h, t, w) - _search_errors(h, t, w)


DAY = 86400

TRUTH: dict[str, TruthSLO] = {
    s.name: s
    for s in (
        TruthSLO(
            "checkout-availability",
            99.9,
            30 * DAY,
            _requests("checkout", not_5xx),
            _requests("checkout"),
        ),
        TruthSLO(
            "checkout-errors",
            99.5,
            30 * DAY,
            _requests("checkout", not_5xx),
            _requests("checkout"),
        ),
        TruthSLO("checkout-latency", 98.5, 30 * DAY, _bucket("0.3"), _bucket("+Inf")),
        TruthSLO(
            "search-availability",
            99.0,
            7 * DAY,
            _search_good,
            _search_total,
        ),
        TruthSLO(
            "quiet-availability",
            99.0,
            7 * DAY,
            _requests("quiet", not_5xx),
            _requests("quiet"),
        ),
        TruthSLO("ghost-availability", 99.0, 7 * DAY, _requests("ghost"), _requests("ghost")),
    )
}


def ratio_slo(
    name: str, service: str, objective: str, total: str, *, good: str = "", bad: str = "",
    period: str = "7d", extra: str = "",
) -> str:  # fmt: skip
    """A ratio SLO as it stands under ``slos:`` in a config template (braces doubled for
    ``.format(url=...)``): ``good`` or ``bad`` events out of ``total``; ``extra`` lines
    (indented four spaces) stand between the period and the sli."""
    kind, selector = ("good", good) if good else ("bad", bad)
    text = (
        f"  - name: {name}\n    service: {service}\n    objective: {objective}\n"
        f"    period: {period}\n{extra}    sli:\n      ratio:\n"
        f"        {kind}: {selector}\n        total: {total}\n"
    )
    return text.replace("{", "{{").replace("}", "}}")


MIGRATED_NAMES = [
    "quiet-availability",
    "search-availability",
    "checkout-availability",
    "checkout-errors",
    "checkout-latency",
    "probe-availability",
]
"""The SLOs of ``tests/migrate/`` (test SLOs in OpenSLO, Sloth and Pyrra form, and a probe),
in the order the directory loads them."""

SEARCH_SLO = """\
  - name: search-availability
    service: search
    objective: 99
    period: 7d
    sli:
      query:
        bad: sum(increase(search_errors_total{{service="search"}}[{{{{window}}}}]))
        total: sum(increase(search_requests_total{{service="search"}}[{{{{window}}}}]))
"""
"""``search-availability``, a query-template SLO: in the test config and the composite one."""

CONFIG = (
    """\
backend:
  url: {url}
  timeout: 10s
evaluation:
  interval: 60s
slos:
"""
    + ratio_slo(
        "checkout-availability",
        "checkout",
        "99.9",
        'http_requests_total{service="checkout"}',
        good='http_requests_total{service="checkout",code!~"5.."}',
        period="30d",
        extra="    labels: {team: payments}\n",
    )
    + ratio_slo(
        "checkout-errors",
        "checkout",
        "99.5",
        'http_requests_total{service="checkout"}',
        bad='http_requests_total{service="checkout",code=~"5.."}',
        period="30d",
    )
    + """\
  - name: checkout-latency
    service: checkout
    objective: 98.5
    period: 30d
    sli:
      latency:
        histogram: http_request_duration_seconds{{service="checkout"}}
        threshold: 0.3
"""
    + SEARCH_SLO
    + ratio_slo(
        "quiet-availability",
        "quiet",
        "99",
        'http_requests_total{service="quiet"}',
        bad='http_requests_total{service="quiet",code=~"5.."}',
    )
    + ratio_slo(
        "ghost-availability",
        "ghost",
        "99",
        'http_requests_total{service="ghost"}',
        good='http_requests_total{service="ghost",code!~"5.."}',
    )
)


def write_config(directory: Path, url: str) -> Path:
    """Write the test config pointing at ``url`` and return its path."""
    path = directory / "slos.yaml"
    path.write_text(CONFIG.format(url=url))
    return path


def expected_burn(truth: TruthSLO, good: float, total: float) -> float | None:
    """Burn rate from ground-truth events, or None without traffic."""
    if total == 0:
        return None
    return burn_of(good, total, truth.objective)


def burn_of(good: float, total: float, objective: float) -> float:
    """Burn rate of ``good`` out of ``total`` (> 0) events against ``objective`` percent:
    the share of bad events over the share the objective allows."""
    return (1 - good / total) / (1 - objective / 100)


GROUPED_CONFIG = """\
backend:
  url: {url}
  timeout: 10s
slos:
  - name: api-availability
    service: api
    objective: 99
    period: 7d
    labels: {{team: web}}
    group_by: [route]{max_groups}
    sli:
      ratio:
        bad: api_requests_total{{service="api",code=~"5.."}}
        total: api_requests_total{{service="api"}}
"""


def write_grouped_config(directory: Path, url: str, max_groups: int | None = None) -> Path:
    """The grouped test config (``api-availability`` by ``route``) pointing at ``url``."""
    path = directory / f"grouped-{max_groups}.yaml"
    extra = "" if max_groups is None else f"\n    max_groups: {max_groups}"
    path.write_text(GROUPED_CONFIG.format(url=url, max_groups=extra))
    return path


def route_truth(route: str) -> TruthSLO:
    """The group ``route`` of ``api-availability``: its events, from the generator alone."""
    total: Labels = {"service": "api", "route": route}
    good: Labels = {**total, "code": not_5xx}
    return TruthSLO(
        f'api-availability{{route="{route}"}}',
        99.0,
        7 * DAY,
        _increase("api_requests_total", good),
        _increase("api_requests_total", total),
    )


def cart_slo(name: str) -> str:
    """The /cart availability SLO (99.5 %, 7d) named ``name``, as ``ratio_slo`` writes it."""
    return ratio_slo(
        name, "api", "99.5", 'api_requests_total{route="/cart"}',
        bad='api_requests_total{route="/cart",code=~"5.."}',
    )  # fmt: skip


COMPOSITE_CONFIG = (
    """\
backend:
  url: {url}
  timeout: 10s
slos:
"""
    + cart_slo("cart-availability")
    + ratio_slo(
        "pay-availability",
        "api",
        "99",
        'api_requests_total{route="/pay"}',
        good='api_requests_total{route="/pay",code!~"5.."}',
        period="30d",
    )
    + """\
  - name: checkout-journey
    service: shop
    objective: 99
    period: 7d
    composite:
      method: events
      objectives:
        - slo: cart-availability
        - slo: pay-availability
  - name: checkout-weighted
    service: shop
    objective: 99
    period: 7d
    composite:
      method: weighted
      objectives:
        - {{slo: cart-availability, weight: 1}}
        - {{slo: pay-availability, weight: 3}}
  - name: shop-journey
    service: shop
    objective: 99.5
    period: 7d
    composite:
      objectives:
        - slo: checkout-journey
        - slo: search-availability
"""
    + SEARCH_SLO
)


def write_composite_config(directory: Path, url: str) -> Path:
    """The composite test config pointing at ``url``."""
    path = directory / "composite.yaml"
    path.write_text(COMPOSITE_CONFIG.format(url=url))
    return path


def _route_events(route: str) -> tuple[Events, Events]:
    truth = route_truth(route)
    return truth.good, truth.total


COMPONENT_EVENTS: dict[str, tuple[Events, Events]] = {
    "cart-availability": _route_events("/cart"),
    "pay-availability": _route_events("/pay"),
    "search-availability": (_search_good, _search_total),
}
"""Good and total events of each leaf SLO of the composite config, from the generator."""
