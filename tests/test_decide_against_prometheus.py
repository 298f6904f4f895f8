"""``slo-exporter decide`` on the real test Prometheus, checked against the generator's truth.

The expected statuses come from :mod:`truth` (the generator's exact increments) and the
seed's matrix written out below, never from the exporter; the "wait ~N h" figure is
checked against a minute-by-minute scan of the history under the same stated
assumption (traffic continues at the rate of the last hour).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from history import History
from served_app import serve
from truth import CONFIG, TRUTH, TruthSLO, ratio_slo

from exporter.cli import main

HOUR = 3600
DAY = 86400
STATUS_WINDOW = HOUR
SEED_MATRIX = {
    "healthy": {"low": "approve", "medium": "approve", "high": "review"},
    "attention": {"low": "approve", "medium": "review", "high": "defer"},
    "warning": {"low": "review", "medium": "defer", "high": "block"},
    "critical": {"low": "defer", "medium": "block", "high": "block"},
    "exhausted": {"low": "block", "medium": "block", "high": "block"},
}
STRICTNESS = ["approve", "review", "defer", "block"]
EXIT = {"approve": 0, "review": 10, "defer": 11, "block": 12}
SERVICES = {
    "checkout": ["checkout-availability", "checkout-errors", "checkout-latency"],
    "search": ["search-availability"],
    "quiet": ["quiet-availability"],
    "ghost": ["ghost-availability"],
}

# A one-day checkout SLO judged three hours after the outage two days ago: the outage's
# bad events exhaust the budget until they leave the rolling day.
OUTAGE = ratio_slo(
    "outage-availability", "outage", "99.9", 'http_requests_total{service="checkout"}',
    good='http_requests_total{service="checkout",code!~"5.."}', period="1d",
)  # fmt: skip
OUTAGE_TRUTH = TruthSLO(
    "outage-availability", 99.9, DAY, TRUTH["checkout-availability"].good,
    TRUTH["checkout-availability"].total,
)  # fmt: skip


@pytest.fixture(scope="module")
def config(prometheus, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("decide") / "slos.yaml"
    path.write_text(CONFIG.format(url=prometheus.url) + OUTAGE.format())
    return path


def decide(config: Path, *args: str) -> tuple[int, dict]:
    """Run ``slo-exporter decide --format json`` in-process: exit code and document."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            ["--log-format", "json", "decide", "-c", str(config), "--format", "json", *args]
        )
    return code, json.loads(out.getvalue())


def true_status(truth: TruthSLO, history: History, at: float) -> str:
    """The status the generator's counts give: exhausted, burn bands over 1 h, no data."""
    good, total = truth.good(history, at, truth.period), truth.total(history, at, truth.period)
    if total == 0:
        return "no_data"
    budget = 1 - truth.objective / 100
    if 1 - (total - good) / (budget * total) <= 0:
        return "exhausted"
    w_total = truth.total(history, at, STATUS_WINDOW)
    if w_total == 0:
        return "healthy"
    burn = (1 - truth.good(history, at, STATUS_WINDOW) / w_total) / budget
    for status, bound in (("critical", 2.0), ("warning", 1.5), ("attention", 1.0)):
        if burn > bound:
            return status
    return "healthy"


def expected_decision(statuses: dict[str, str], risk: str) -> str:
    """The seed's matrix per SLO (no data: review); the strictest verdict wins."""
    verdicts = [SEED_MATRIX.get(s, {}).get(risk, "review") for s in statuses.values()]
    return max(verdicts, key=STRICTNESS.index)


@pytest.mark.parametrize("risk", ["low", "medium", "high"])
@pytest.mark.parametrize("service", list(SERVICES))
@pytest.mark.parametrize("offset", [0, -DAY], ids=["now", "1d-ago"])
def test_decision_and_exit_code_match_ground_truth(prometheus, config, service, risk, offset):
    """Each service's decision, driver status and exit code follow from the true statuses."""
    at = prometheus.now + offset
    statuses = {n: true_status(TRUTH[n], prometheus.history, at) for n in SERVICES[service]}
    code, document = decide(config, "--service", service, "--risk", risk, "--at", str(at))
    expected = expected_decision(statuses, risk)
    assert document["decision"] == expected, (statuses, document["rationale"])
    assert code == EXIT[expected]
    assert {e["slo"]: e["status"] for e in document["slos"]} == statuses
    assert document["driver"]["status"] == statuses[document["driver"]["slo"]]
    assert document["driver"]["slo"] in document["rationale"]


def true_wait(history: History, at: float) -> int:
    """Minutes until the rolling day's budget recovers, scanned minute by minute.

    The day at ``at + d`` keeps the events of ``(at + d - 1d, at]`` and gains ``d`` of new
    traffic at the last hour's rate (good and bad alike).
    """
    truth, budget = OUTAGE_TRUTH, 0.001
    rate_total = truth.total(history, at, HOUR) / HOUR
    rate_bad = rate_total - truth.good(history, at, HOUR) / HOUR
    for d in range(60, DAY + 1, 60):
        kept_total = truth.total(history, at, DAY - d)
        kept_bad = kept_total - truth.good(history, at, DAY - d)
        if kept_bad + rate_bad * d < budget * (kept_total + rate_total * d):
            return d
    raise AssertionError("the budget never recovers in the test history")


def test_wait_until_the_budget_recovers_matches_the_history(prometheus, config):
    """Exhausted by the outage: block, and 'wait ~N h' is when the outage leaves the day."""
    at = prometheus.now - 2 * DAY + 3 * HOUR
    assert true_status(OUTAGE_TRUTH, prometheus.history, at) == "exhausted"
    code, document = decide(config, "--service", "outage", "--risk", "low", "--at", str(at))
    assert (code, document["decision"]) == (12, "block")
    recovery = document["recovery"]
    expected = true_wait(prometheus.history, at)
    assert 20 * HOUR < expected < 22 * HOUR  # the outage ends 21h20m after the day's start
    assert recovery["resolution_seconds"] <= 180
    assert expected <= recovery["wait_seconds"] <= expected + recovery["resolution_seconds"]
    assert document["alternatives"][0].startswith(
        f"wait ~{round(recovery['wait_seconds'] / HOUR)} h"
    )
    assert "assuming traffic continues at the rate of the last 1h" in recovery["assumption"]


def test_unknown_service_is_a_usage_error(prometheus, config, capsys):
    """An unknown service: exit 2 and one line naming the services there are."""
    assert main(["decide", "-c", str(config), "--service", "nope", "--risk", "low"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "'nope'" in err
    assert "checkout" in err


async def test_api_serves_the_decision_of_the_last_cycle(prometheus, config, aiohttp_client):
    """GET /api/v1/decision answers from the daemon's cycle: the true statuses' decision,
    and the same document as ``decide --at`` the cycle's time (the wait aside)."""
    _, client = await serve(aiohttp_client, config)
    for service in ("checkout", "search", "ghost", "outage"):
        response = await client.get("/api/v1/decision", params={"service": service, "risk": "low"})
        assert response.status == 200
        served = await response.json()
        at = datetime.fromisoformat(served["evaluated_at"]).timestamp()
        truths = {**TRUTH, OUTAGE_TRUTH.name: OUTAGE_TRUTH}
        statuses = {e["slo"]: true_status(truths[e["slo"]], prometheus.history, at)
                    for e in served["slos"]}  # fmt: skip
        assert served["decision"] == expected_decision(statuses, "low")
        assert {e["slo"]: e["status"] for e in served["slos"]} == statuses
        _, cli = await asyncio.to_thread(
            decide, config, "--service", service, "--risk", "low", "--at", str(at)
        )
        assert served.pop("recovery") is None
        if cli.pop("recovery") is not None:  # the wait comes first among the alternatives
            cli["alternatives"].pop(0)
        assert served == cli


@pytest.mark.parametrize("slo", SERVICES["checkout"])
def test_slo_option_judges_by_that_slo_alone(prometheus, config, slo):
    """--slo NAME: only that SLO of the service decides, by its true status."""
    at = prometheus.now
    status = true_status(TRUTH[slo], prometheus.history, at)
    code, document = decide(
        config, "--service", "checkout", "--slo", slo, "--risk", "high", "--at", str(at)
    )
    assert [e["slo"] for e in document["slos"]] == [slo]
    assert document["decision"] == SEED_MATRIX[status]["high"]
    assert code == EXIT[SEED_MATRIX[status]["high"]]
