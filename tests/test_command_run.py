"""What ``report``, ``backtest`` and ``discover`` share (``exporter/command_run.py``).

The three commands write their text the same way: to ``-o FILE`` when it can be
written, and otherwise one line naming the file, what could not be written and why, with
exit 1. ``report`` and ``backtest`` also fail the same way when the backend does: one
line naming the failure and the query sent, exit 3.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from truth import DAY, write_config

from exporter.cli import main

COMMANDS = {
    "report": ("report", ["--slo", "checkout-availability", "--format", "json"]),
    "backtest": ("backtest", ["--slo", "checkout-availability", "--format", "json"]),
    "discover": ("config", []),
}


def _argv(command: str, config: Path, url: str, now: int, output: Path) -> list[str]:
    """The command's arguments over the last day of the history, writing to ``output``."""
    _, extra = COMMANDS[command]
    if command == "discover":
        head = ["discover", "--backend", url, "--at", str(now), "--last", "7d"]
    else:
        head = [command, "-c", str(config), "--from", str(now - DAY), "--to", str(now)]
    return ["--log-format", "json", *head, *extra, "-o", str(output)]


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_output_is_written_to_the_file(prometheus, tmp_path, command):
    """With a writable ``-o FILE`` the text goes to the file and nothing to stdout."""
    config = write_config(tmp_path, prometheus.url)
    output = tmp_path / "out.txt"
    code, out, err = _run(_argv(command, config, prometheus.url, int(prometheus.now), output))
    assert (code, out) == (0, ""), err
    assert output.read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unwritable_output_is_one_line_and_exit_1(prometheus, tmp_path, command):
    """A ``-o FILE`` in a missing directory: exit 1 and one line naming the file and why."""
    config = write_config(tmp_path, prometheus.url)
    output = tmp_path / "missing" / "out.txt"
    code, out, err = _run(_argv(command, config, prometheus.url, int(prometheus.now), output))
    what, _ = COMMANDS[command]
    assert (code, out) == (1, "")
    assert err.splitlines() == [f"{output}: cannot write the {what}: No such file or directory"]


@pytest.mark.parametrize("command", ["report", "backtest"])
def test_a_backend_failure_is_one_line_naming_the_query_and_exit_3(tmp_path, command):
    """A backend nobody listens on: exit 3 and one line, the command's name first and the
    query it sent last."""
    config = write_config(tmp_path, "http://127.0.0.1:9")
    argv = [command, "-c", str(config), "--slo", "checkout-availability", "--last", "1d"]
    code, out, err = _run(argv)
    assert (code, out) == (3, "")
    [line] = err.splitlines()
    assert line.startswith(f"{command}: cannot reach http://127.0.0.1:9: ")
    assert line.endswith(
        '(query sum(increase(http_requests_total{service="checkout",code!~"5.."}[5m])))'
    )
