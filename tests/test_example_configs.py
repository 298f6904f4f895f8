"""Every example config in config/ evaluates on the test history with data for every SLO."""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
from pathlib import Path

import pytest

from exporter.cli import main

EXAMPLES = [*sorted(Path("config").glob("*.yaml")), Path("config/openslo")]


def _pointed_at(example: Path, url: str, directory: Path) -> Path:
    """A copy of the example whose backend URL is the test backend's."""
    if example.is_dir():
        target = directory / example.name
        shutil.copytree(example, target)
        files = list(target.glob("*.yaml"))
    else:
        target = directory / example.name
        shutil.copy(example, target)
        files = [target]
    for file in files:
        file.write_text(file.read_text().replace("http://127.0.0.1:9090", url))
    return target


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_evaluates_with_data(example: Path, prometheus, tmp_path: Path):
    """`eval` on the example succeeds, every SLO has data, and no number is NaN or infinite."""
    config = _pointed_at(example, prometheus.url, tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            ["--log-format", "json", "eval", "-c", str(config), "--at", str(prometheus.now),
             "--format", "json"]
        )  # fmt: skip
    document = json.loads(out.getvalue())
    assert code == 0, out.getvalue()
    assert document["slos"], "the example has no SLOs"
    for slo in document["slos"]:
        assert slo["data_ok"], f"{slo['name']}: no data ({slo.get('error')})"
        assert slo["error_budget_remaining_ratio"] is not None
        numbers = [v for v in slo["burn_rates"].values() if v is not None]
        assert all(math.isfinite(v) for v in numbers), slo["name"]
