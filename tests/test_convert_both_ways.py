"""``slo-exporter convert``: any input to native, ``--to openslo``, and the round trip.

The round trip is the issue's promise: OpenSLO -> native -> OpenSLO ->
native is stable, checked with hypothesis over generated configs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from one_slo import one_slo_config

from exporter.config.convert_command import register
from exporter.config.loader import load_config

MIGRATE = Path(__file__).resolve().parent / "migrate"
ROOT = Path(__file__).resolve().parent.parent


def convert(*arguments: str) -> tuple[int, str, str]:
    """``slo-exporter convert ARGUMENTS`` in-process: exit code, stdout, stderr."""
    parser = argparse.ArgumentParser(prog="slo-exporter")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["convert", *arguments])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = args.handler(args)
    return code, out.getvalue(), err.getvalue()


def test_sloth_converts_with_a_backend_url(tmp_path):
    """A Sloth file alone converts once --backend-url names the PromQL API; it loads as printed."""
    code, out, err = convert("-c", str(MIGRATE / "sloth.yaml"), "--backend-url", "http://p:9090")
    assert (code, err) == (0, "")
    assert out.startswith("# slo-exporter native config, converted from Sloth by")
    printed = tmp_path / "native.yaml"
    printed.write_text(out)
    loaded = load_config(printed)
    assert loaded.backend.url == "http://p:9090"
    assert [slo.name for slo in loaded.slos] == ["checkout-availability"]


def test_sloth_without_a_backend_is_one_line(tmp_path):
    """Without --backend-url and no native file, convert says what to add; exit 1."""
    code, out, err = convert("-c", str(MIGRATE / "pyrra.yaml"))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert "no backend given" in err


def test_mixed_directory_converts_to_the_config_it_loads_as(tmp_path):
    """The native config printed for a mixed directory loads to the directory's own SLOs."""
    code, out, err = convert("-c", str(MIGRATE))
    assert (code, err) == (0, "")
    assert out.startswith(
        "# slo-exporter native config, converted from OpenSLO and Sloth and Pyrra and native"
    )
    printed = tmp_path / "native.yaml"
    printed.write_text(out)
    assert load_config(printed).slos == load_config(MIGRATE).slos


def test_to_openslo_refuses_what_openslo_cannot_say():
    """A latency SLI has no OpenSLO form: one line at the field, exit 1, nothing printed."""
    code, out, err = convert("-c", str(ROOT / "config" / "example.yaml"), "--to", "openslo")
    assert (code, out) == (1, "")
    path = ROOT / "config" / "example.yaml"
    assert f'{path}:98: slos[2] "checkout-latency": sli.latency: a latency SLI has no ' in err


SHAPES = [
    (
        "    group_by: [route]\n",
        "group_by: group_by has no OpenSLO form",
    ),
    (
        "  - name: journey\n    service: shop\n    objective: 99\n"
        "    composite: {method: events, objectives: [{slo: checkout-availability}]}\n",
        'slos.yaml:17: slos[1] "journey": composite: a composite SLI has no OpenSLO form',
    ),
]


@pytest.mark.parametrize(("extra", "expected"), SHAPES, ids=["grouped", "composite"])
def test_to_openslo_refuses_grouped_and_composite_slos(tmp_path, extra, expected):
    """Grouped and composite SLOs have no OpenSLO v1 form: one line naming it, exit 1."""
    path = tmp_path / "slos.yaml"
    path.write_text(one_slo_config("http://127.0.0.1:9") + extra)
    code, out, err = convert("-c", str(path), "--to", "openslo")
    assert (code, out) == (1, "")
    assert expected in err
    assert len(err.strip().splitlines()) == 1


WINDOWS = st.sampled_from([("1h", "5m"), ("6h", "30m"), ("1d", "2h"), ("3d", "6h")])
SELECTOR = st.sampled_from(['x_total{code=~"5.."}', "errors_total", 'y_total{job="a"}'])
TOTAL = st.sampled_from(["x_total", 'requests_total{job="a"}'])


@st.composite
def native_slos(draw: st.DrawFn) -> dict:
    """One native SLO of a kind OpenSLO can say, with explicit alerts."""
    index = draw(st.integers(0, 999))
    kind = draw(st.sampled_from(["ratio", "query", "raw", "threshold"]))
    side = draw(st.sampled_from(["good", "bad"]))
    if kind == "ratio":
        sli = {"ratio": {side: draw(SELECTOR), "total": draw(TOTAL)}}
    elif kind == "query":
        template = "sum(increase({}[{{{{window}}}}]))"
        sli = {"query": {side: template.format(draw(SELECTOR)), "total": template.format("t")}}
    elif kind == "raw":
        sli = {
            "raw": {"query": "avg(ok_ratio)", "type": draw(st.sampled_from(["success", "failure"]))}
        }
    else:
        value = draw(st.integers(1, 900)) / 1000
        sli = {"threshold": {"query": "max(latency)", "op": "lt", "value": value}}
    slo: dict = {
        "name": f"slo-{index}",
        "service": draw(st.sampled_from(["a", "b"])),
        "objective": draw(st.sampled_from([90, 99, 99.5, 99.9, 99.95])),
        "sli": sli,
    }
    if draw(st.booleans()):
        slo["period"] = draw(st.sampled_from(["7d", "28d", "30d", "90m"]))
    else:
        slo["calendar"] = draw(st.sampled_from(["week", "month", "quarter"]))
        slo["timezone"] = draw(st.sampled_from(["UTC", "Europe/Berlin"]))
    method = draw(st.sampled_from(["occurrences", "timeslices", "ratio_timeslices"]))
    if method == "timeslices":
        slo["budgeting"] = {"method": method, "slice": "5m", "slice_target": 95}
    elif method == "ratio_timeslices" or kind in ("raw", "threshold"):
        slo["budgeting"] = {"method": "ratio_timeslices", "slice": "1m"}
    alerts = []
    for long_window, short_window in draw(st.lists(WINDOWS, min_size=1, max_size=3, unique=True)):
        rate = draw(st.sampled_from([14.4, 6, 3, 1, 2.5]))
        alerts.append(
            {
                "severity": draw(st.sampled_from(["page", "ticket"])),
                "long_window": long_window,
                "short_window": short_window,
                "burn_rate": rate,
            }
        )
    slo["alerts"] = alerts
    if draw(st.booleans()):
        slo["labels"] = {"team": draw(st.sampled_from(["x", "y"]))}
    return slo


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(native_slos(), min_size=1, max_size=3, unique_by=lambda slo: slo["name"]))
def test_openslo_native_openslo_native_is_stable(tmp_path, slos):
    """OpenSLO -> native -> OpenSLO -> native: the same documents, the same SLOs."""
    native = tmp_path / "native.yaml"
    native.write_text(yaml.safe_dump({"backend": {"url": "http://p:9090"}, "slos": slos}))
    steps = {}
    path = native
    for name, arguments in [
        ("openslo", ("--to", "openslo")),
        ("native1", ()),
        ("openslo2", ("--to", "openslo")),
        ("native2", ()),
    ]:
        code, out, err = convert("-c", str(path), *arguments)
        assert (code, err) == (0, ""), name
        steps[name] = out
        path = tmp_path / f"{name}.yaml"
        path.write_text(out)
    assert steps["openslo2"] == steps["openslo"]
    assert _body(steps["native2"]) == _body(steps["native1"])
    assert load_config(tmp_path / "native2.yaml").slos == load_config(native).slos


def _body(text: str) -> str:
    """The YAML without its comment lines (they name the source files)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def test_to_openslo_refuses_at_the_sloth_and_pyrra_fields():
    """Sloth's alert annotations and Pyrra's bool gauge have no OpenSLO form: one line each."""
    code, out, err = convert("-c", str(MIGRATE), "--to", "openslo")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f'{MIGRATE}/sloth.yaml:14: Sloth SLO "availability": alerting: alert labels and '
        "annotations have no OpenSLO form",
        f'{MIGRATE}/pyrra.yaml:44: ServiceLevelObjective "probe-availability": '
        "spec.indicator.boolGauge: a bool_gauge SLI has no OpenSLO form",
    ]


def test_a_backend_url_with_a_password_is_refused_without_printing_it():
    """``--backend-url`` is judged like ``backend.url``: one line naming the flag, no password."""
    code, out, err = convert(
        "-c", str(MIGRATE / "sloth.yaml"), "--backend-url", "http://me:s3cret-pw@p:9090"
    )
    assert (code, out) == (1, "")
    assert "s3cret-pw" not in err
    assert err.startswith("--backend-url: url must not contain credentials")
