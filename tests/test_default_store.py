"""``run`` keeps a history store by default; ``--no-store`` is the stateless query mode.

Where the store goes without ``--data-dir`` (the environment's say), that the two flags
exclude each other, that a plain ``run`` really creates its store there and ``--no-store``
creates none, and that a data directory it cannot write is one line and exit code 6.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from one_slo import one_slo_config
from processes import free_port, read_tail, stop_process

from exporter.cli import EXIT_DATA_DIR, build_parser, main
from exporter.data_dir import default_data_dir
from exporter.store.file_format import FILE_NAME

EXPORTER = [sys.executable, "-m", "exporter", "--log-format", "json", "run"]
DEAD = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLO_EXPORTER_DATA_DIR": "/data", "XDG_STATE_HOME": "/state"}, "/data"),
        ({"XDG_STATE_HOME": "/state", "HOME": "/home/me"}, "/state/slo-exporter"),
        ({"XDG_STATE_HOME": "relative", "HOME": "/home/me"}, "/home/me/.local/state/slo-exporter"),
        ({"HOME": "/home/me"}, "/home/me/.local/state/slo-exporter"),
        ({"SLO_EXPORTER_DATA_DIR": "", "HOME": "/home/me"}, "/home/me/.local/state/slo-exporter"),
    ],
)
def test_the_default_data_dir(monkeypatch, env: dict[str, str], expected: str):
    """$SLO_EXPORTER_DATA_DIR, else $XDG_STATE_HOME/slo-exporter (an absolute one, as XDG
    says), else ~/.local/state/slo-exporter."""
    monkeypatch.setenv("HOME", env.get("HOME", "/nowhere"))
    assert default_data_dir(env) == Path(expected)


def test_data_dir_and_no_store_exclude_each_other(capsys):
    """Asking for a store and for none is a usage error (exit 2) naming both flags."""
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", "-c", "x", "--data-dir", "d", "--no-store"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--no-store" in err
    assert "--data-dir" in err


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("SLO_EXPORTER_DATA_DIR", "XDG_STATE_HOME")
    }
    return {**env, **extra}


def _serve_briefly(tmp_path: Path, flags: list[str], env: dict[str, str]) -> str:
    """Start ``run`` (backend down), wait until /healthz answers, stop it; its log."""
    config = tmp_path / "slos.yaml"
    config.write_text(one_slo_config(DEAD))
    port = free_port()
    log = tmp_path / "run.log"
    cmd = [*EXPORTER, "-c", str(config), "--listen", f"127.0.0.1:{port}", *flags]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(300):
            assert process.poll() is None, read_tail(log)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"run never answered:\n{read_tail(log)}")
    finally:
        stop_process(process)
    return read_tail(log)


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize("variable", ["SLO_EXPORTER_DATA_DIR", "XDG_STATE_HOME"])
def test_run_keeps_a_store_by_default(tmp_path: Path, variable: str):
    """A plain ``run`` (no store flag) creates its history store where the environment
    says."""
    state = tmp_path / "state"
    where = state if variable == "SLO_EXPORTER_DATA_DIR" else state / "slo-exporter"
    log = _serve_briefly(tmp_path, [], _env(**{variable: str(state)}))
    assert (where / FILE_NAME).is_file(), log


@pytest.mark.integration  # runs a child process
def test_no_store_keeps_nothing(tmp_path: Path):
    """``run --no-store`` writes no data directory at all."""
    state = tmp_path / "state"
    log = _serve_briefly(tmp_path, ["--no-store"], _env(XDG_STATE_HOME=str(state)))
    assert not state.exists(), log


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_data_dir_it_cannot_write_is_one_line_and_exit_6(tmp_path: Path, how: str):
    """A data directory that cannot be created (a file in the way) stops ``run`` with exit
    code 6 and one line naming the directory and what to do, no traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    data = blocker / "data"
    config = tmp_path / "slos.yaml"
    config.write_text(one_slo_config(DEAD))
    flags = ["--data-dir", str(data)] if how == "flag" else []
    env = _env(SLO_EXPORTER_DATA_DIR=str(data))
    result = subprocess.run(
        [*EXPORTER, "-c", str(config), "--listen", f"127.0.0.1:{free_port()}", *flags],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == EXIT_DATA_DIR, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{data}: cannot write the data directory (Not a directory)")
    assert "--no-store" in line
    assert "Traceback" not in result.stdout + result.stderr


SCRAPE = """\
source:
  scrape: {url: http://127.0.0.1:9/metrics}
slos:
  - name: a
    service: s
    objective: 99
    period: 7d
    sli: {ratio: {good: ok_total, total: all_total}}
"""


def test_a_scrape_source_with_no_store_is_one_line(tmp_path: Path, capsys):
    """``source: scrape`` keeps its events in the store: with ``--no-store`` ``run`` stops
    at once (exit 1) with one line naming the config and the flag."""
    config = tmp_path / "slos.yaml"
    config.write_text(SCRAPE)
    code = main(["run", "-c", str(config), "--no-store", "--listen", "127.0.0.1:0"])
    assert code == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"{config}: source: scrape keeps its history in a store: drop --no-store"
