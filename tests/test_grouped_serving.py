"""What ``/metrics`` shows of a grouped SLO: its groups, each labelled, coming and going.

The exposition is built from evaluation runs made by hand (the numbers do not matter
here, the ground truth lives in ``test_grouped_against_backends.py``); it is parsed with
prometheus-client's own parser. Last, eval against a fake backend that fails (fault
injection).
"""

from __future__ import annotations

import asyncio
import json

from config_text import load_text
from prometheus_client.parser import text_string_to_metric_families
from truth import GROUPED_CONFIG

from exporter.cli import main
from exporter.domain.budget import WindowEvents
from exporter.domain.evaluate import evaluate_slo
from exporter.domain.model import SLO
from exporter.errors import BackendUnavailable
from exporter.pipeline.cycle import EvaluationRun
from exporter.pipeline.groups import group_slo
from exporter.serving import ServedSLOs

AT = 1_800_000_000.0


def grouped() -> SLO:
    (slo,) = load_text(GROUPED_CONFIG.format(url="http://127.0.0.1:9090", max_groups="")).slos
    return slo


def run_with(template: SLO, routes: list[str]) -> EvaluationRun:
    """A run in which ``template``'s groups are ``routes``, each 990 good of 1,000."""
    members = tuple(group_slo(template, (route,)) for route in routes)
    run = EvaluationRun(at=AT, groups={template.name: members})
    for member in members:
        events = {w: WindowEvents(990.0, 1000.0) for w in member.windows_at(AT)}
        run.results[member.name] = evaluate_slo(member, events, AT)
    return run


def series(served: ServedSLOs) -> list[tuple[str, dict[str, str], float]]:
    served.render_now()
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(served.exposition.decode())
        for sample in family.samples
    ]


def routes_shown(served: ServedSLOs) -> set[str]:
    return {labels["route"] for name, labels, _ in series(served) if name == "slo_data_ok"}


def test_every_series_of_a_group_carries_its_labels():
    """Each group's series say slo="api-availability", its route and the SLO's own labels."""
    template = grouped()
    served = ServedSLOs()
    served.apply([template])
    served.fold(run_with(template, ["/a", "/b"]), now=AT)
    samples = series(served)
    assert samples
    for _, labels, _ in samples:
        assert labels["slo"] == "api-availability"
        assert labels["route"] in {"/a", "/b"}
        if "service" in labels:
            assert labels["team"] == "web"
    ok = {labels["route"]: value for name, labels, value in samples if name == "slo_data_ok"}
    assert ok == {"/a": 1.0, "/b": 1.0}


def test_groups_come_and_go_with_the_data():
    """A group no longer found disappears from /metrics; a new one appears."""
    template = grouped()
    served = ServedSLOs()
    served.apply([template])
    served.fold(run_with(template, ["/a", "/b"]), now=AT)
    served.fold(run_with(template, ["/b", "/c"]), now=AT + 60)
    assert routes_shown(served) == {"/b", "/c"}


def test_groups_keep_their_numbers_stale_when_discovery_fails():
    """When the groups cannot be found, the last ones stay with slo_data_ok 0."""
    template = grouped()
    served = ServedSLOs()
    served.apply([template])
    served.fold(run_with(template, ["/a"]), now=AT)
    failed = EvaluationRun(at=AT + 60)
    failed.failures[template.name] = BackendUnavailable("refused", query="count", at=AT + 60)
    served.fold(failed, now=AT + 60)
    samples = series(served)
    assert {
        (labels["route"], value) for name, labels, value in samples if name == "slo_data_ok"
    } == {("/a", 0.0)}
    assert any(name == "slo_error_budget_remaining_ratio" for name, _, _ in samples)


def test_a_reload_keeps_the_groups_of_an_unchanged_grouped_slo():
    """Re-applying the same config keeps serving the groups found before."""
    template = grouped()
    served = ServedSLOs()
    served.apply([template])
    served.fold(run_with(template, ["/a"]), now=AT)
    served.apply([grouped()])
    assert routes_shown(served) == {"/a"}


def test_before_any_group_is_found_the_grouped_slo_is_unknown():
    """Until its groups are found, the grouped SLO shows as one unknown SLO without route."""
    served = ServedSLOs()
    served.apply([grouped()])
    samples = series(served)
    status = {labels["status"]: value for name, labels, value in samples if name == "slo_status"}
    assert status["unknown"] == 1.0
    assert all("route" not in labels for _, labels, _ in samples)


async def test_eval_with_groups_that_cannot_be_found_is_one_line_and_exit_3(
    fake_backend, tmp_path, capsys
):
    """A backend failing the discovery query: eval lists the grouped SLO as unknown with
    the error, logs one line for it, no traceback, exit code 3."""
    fake_backend.mode = "http500"
    path = tmp_path / "grouped.yaml"
    path.write_text(GROUPED_CONFIG.format(url=fake_backend.url, max_groups=""))
    code = await asyncio.to_thread(
        main, ["--log-format", "json", "eval", "-c", str(path), "--format", "json"]
    )
    out, err = capsys.readouterr()
    assert code == 3
    (slo,) = json.loads(out)["slos"]
    assert slo["name"] == "api-availability"
    assert slo["status"] == "unknown"
    assert "500" in slo["error"]
    failed = [json.loads(line) for line in err.splitlines()]
    assert [line["slo"] for line in failed if line["event"] == "slo_evaluation_failed"] == [
        "api-availability"
    ]
    assert "Traceback" not in err
