"""Run ``slo-exporter eval`` in-process, as the integration tests against real backends do."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from exporter.cli import main


def eval_text(config: Path, at: float | str) -> str:
    """``slo-exporter eval -c CONFIG --at AT --format json``: its exact output (exit code 0)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(
            ["--log-format", "json", "eval", "-c", str(config), "--at", str(at), "--format", "json"]
        )
    assert code == 0, buffer.getvalue()
    return buffer.getvalue()


def eval_json(config: Path, at: float | str) -> dict[str, Any]:
    """``slo-exporter eval --format json`` in-process, parsed."""
    document: dict[str, Any] = json.loads(eval_text(config, at))
    return document


def eval_by_name(config: Path, at: float | str) -> dict[str, dict[str, Any]]:
    """The evaluated SLO entries by name."""
    return {slo["name"]: slo for slo in eval_json(config, at)["slos"]}
