"""Run ``slo-exporter eval`` in-process, as the integration tests against real backends do."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime
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


def rfc3339(t: float) -> str:
    """Unix seconds as ``2026-11-27T12:00:00Z``, as ``--from``/``--to``/``--at`` take them."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def backtest(config: Path, *args: str) -> tuple[int, str, str]:
    """Run ``slo-exporter backtest`` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--log-format", "json", "backtest", "-c", str(config), *args])
    return code, out.getvalue(), err.getvalue()


def backtest_json(config: Path, start: float, end: float, *args: str) -> dict[str, Any]:
    """``backtest --from START --to END --format json ARGS`` in-process (exit code 0), parsed."""
    code, out, err = backtest(
        config, "--from", rfc3339(start), "--to", rfc3339(end), "--format", "json", *args
    )
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document
