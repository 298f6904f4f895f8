"""Hostile config files: whatever the bytes, the answer is a ConfigError of short lines.

Each case here once ended in a traceback (or ran for minutes). The loader must
answer every one with one line per problem that names the file, and the line
where it knows it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from config_text import GOOD, load_text, problems

from exporter.config import load_config
from exporter.errors import ConfigError
from exporter.yaml_lines import YamlSyntaxError, load_yaml_all

SOURCE = "c.yaml"
ROOT = Path(__file__).resolve().parent.parent


def test_the_good_config_loads():
    """The config the cases below break is valid as it stands."""
    assert [slo.name for slo in load_text(GOOD).slos] == ["checkout"]


def _laughs() -> str:
    """Nine aliases of nine aliases, nine deep: a few lines that mean 9**9 strings."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    return GOOD + "\n".join(lines) + "\n"


UNREADABLE = [
    ("flow-nesting", GOOD + "x: " + "[" * 500 + "]" * 500 + "\n", 11, "nested deeper than 64"),
    ("very-deep-flow", GOOD + "x: " + "{a: " * 100_000 + "}" * 100_000 + "\n", 11, "nest"),
    (
        "block-nesting",
        GOOD + "".join(f"{' ' * i}k{i}:\n" for i in range(600)) + " " * 600 + "v\n",
        None,
        "nested deeper than 64",
    ),
    ("nul-in-comment", GOOD + "# a comment \x00 with a NUL\n", 11, "control character U+0000"),
    ("control-in-value", GOOD.replace("checkout\n", "check\x01out\n", 1), 4, "U+0001"),
    ("escape-in-key", GOOD.replace("backend", "back\x1bend"), 1, "U+001B"),
    ("huge-integer", GOOD.replace("99.9", "9" * 5000), 6, "5000 digits"),
    ("huge-window", GOOD + "    windows: [" + "9" * 400 + "h]\n", 11, "windows[0]"),
    ("bad-date", GOOD.replace("service: checkout", "service: 2024-13-45"), 5, "valid timestamp"),
    ("bad-tag", GOOD.replace("99.9", "!!int x"), 6, "'x' is not a valid int"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [case[1:] for case in UNREADABLE],
    ids=[case[0] for case in UNREADABLE],
)
def test_unreadable_yaml_is_one_line(text: str, line: int | None, fragment: str):
    """Deep nesting, control characters (even in a comment), a 5,000-digit integer and a
    window of 400 nines are each one problem at their line, not a traceback."""
    found = problems(text)
    prefix = f"{SOURCE}:{line}:" if line is not None else f"{SOURCE}:"
    assert any(p.startswith(prefix) and fragment in p for p in found), found


PARSER_LIMITS = [
    ("nesting", "x: " + "[" * 70 + "]" * 70 + "\n", 1, "nested deeper than 64 levels"),
    ("nul", "a: 1\n# \x00\n", 2, "control character U+0000"),
    ("digits", "a: " + "1" * 101 + "\n", 1, "a number with 101 digits"),
    ("keys", "".join(f"k{i}: 1\n" for i in range(10_001)), 10_001, "more than 10,000 keys"),
    ("laughs", "l0:" + _laughs().partition("\nl0:")[2], 7, "more than 1,200,000 values"),
    ("recursive-alias", "a: &a [1, *a]\n", 1, "alias *a repeats a collection it is part of"),
    ("date", "a: 2024-13-45\n", 1, "'2024-13-45' is not a valid timestamp"),
    ("binary-digits", "a: 1\nb: 0b_\n", 2, "'0b_' is not a valid int"),
    ("merged-tag", "a: &m {x: 1}\nb:\n  <<: [*m, {y: !!int z}]\n", 3, "'z' is not a valid int"),
    ("text", "a: " + "x" * 65_537 + "\n", 1, "a value of 65,537 characters is longer"),
]


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [case[1:] for case in PARSER_LIMITS],
    ids=[case[0] for case in PARSER_LIMITS],
)
def test_both_yaml_parsers_keep_the_limits(text: str, line: int, fragment: str, libyaml: bool):
    """libyaml's parser and PyYAML's pure-Python one (used when PyYAML lacks libyaml)
    stop at the same limits, at the same line."""
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml_all(text, libyaml=libyaml)
    assert caught.value.line == line
    assert fragment in caught.value.message


@pytest.mark.parametrize("path", sorted((ROOT / "config").rglob("*.yaml")), ids=str)
def test_both_yaml_parsers_read_the_shipped_configs_alike(path: Path):
    """Every shipped config gives the same data, lines and duplicate keys with either parser."""
    text = path.read_text()
    fast, slow = load_yaml_all(text), load_yaml_all(text, libyaml=False)
    assert [d.data for d in fast] == [d.data for d in slow]
    assert [d.lines for d in fast] == [d.lines for d in slow]
    assert [d.duplicates for d in fast] == [d.duplicates for d in slow]


def test_a_file_name_too_long_for_the_system_is_one_line():
    """A path the system refuses to look at (name too long) is one clipped line."""
    with pytest.raises(ConfigError) as caught:
        load_config("x" * 5000 + ".yaml")
    (problem,) = caught.value.problems
    assert problem == "x" * 97 + "...: cannot read the config file: File name too long"


def test_a_directory_of_openslo_files_reports_a_control_character(tmp_path: Path):
    """An OpenSLO directory with a NUL in one file names that file and line."""
    (tmp_path / "a.yaml").write_text("apiVersion: openslo/v1\nkind: SLO\n# \x00\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.problems == (
        f"{tmp_path / 'a.yaml'}:3:3: invalid YAML: control character U+0000 is not allowed, "
        "not even in a comment",
    )


# ---- oversized files -------------------------------------------------------------

MB = 1024 * 1024
SLO_HEAD = GOOD.rpartition("slos:\n")[0] + "slos:\n"
"""The good config's lines before its SLO list."""


OVERSIZED = [
    (
        "unknown-keys",
        lambda: GOOD + "".join(f"k{i}: {i}\n" for i in range(1_000_000)),
        "a mapping of more than 10,000 keys",
    ),
    (
        "windows-list",
        lambda: GOOD + "    windows:\n" + "      - 5m\n" * 1_000_000,
        "a list of more than 100,000 items",
    ),
    (
        "many-tiny-slos",
        lambda: SLO_HEAD + "  - {a: 1}\n" * 1_000_000,
        "a list of more than 100,000 items",
    ),
    (
        "many-values",
        lambda: SLO_HEAD + f"  - {{x: [{','.join(['1'] * 200)}]}}\n" * 6_300,
        "more than 1,200,000 values",
    ),
    (
        "over-16-mib",
        lambda: GOOD + ("# " + "x" * 1022 + "\n") * 16 * 1024,
        "the config is larger than 16 MiB",
    ),
    ("billion-laughs", _laughs, "more than 1,200,000 values"),
    (
        "long-name",
        lambda: GOOD.replace("name: checkout", "name: " + "x y" * 20_000),
        "may only contain letters",
    ),
    ("long-text", lambda: GOOD + "k: " + "x" * 70_000 + "\n", "longer than 65,536"),
    ("long-key", lambda: GOOD + "k" * 1000 + ": 1\n", "unknown field 'kkkk"),
    ("long-duration", lambda: GOOD + "    period: " + "9" * 60_000 + "d\n", "expected a duration"),
    ("long-label", lambda: GOOD + "    labels: {" + "a-" * 500 + ": x}\n", "label name"),
]


@pytest.mark.parametrize(
    ("make", "fragment"), [case[1:] for case in OVERSIZED], ids=[case[0] for case in OVERSIZED]
)
def test_oversized_configs_are_refused_quickly_in_short_lines(
    make: Callable[[], str], fragment: str, tmp_path: Path
):
    """Megabytes of keys, list items or SLOs, a file over 16 MiB, aliases that multiply
    and very long values: each is refused within 2 s, in lines of at most 300 characters
    after the file name that quote at most 100 characters of what was written."""
    path = tmp_path / "c.yaml"
    path.write_text(make(), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    elapsed = time.monotonic() - started
    found = caught.value.problems
    assert elapsed < 2.0, f"took {elapsed:.1f}s: {found}"
    assert all(p.startswith(str(path)) and "\n" not in p for p in found), found
    assert all(len(p) - len(str(path)) <= 300 for p in found), [p[:400] for p in found]
    assert any(fragment in p for p in found), found
    assert not any(
        long in p for p in found for long in ("x" * 101, "k" * 101, "9" * 101, "a" * 101)
    )


def test_a_directory_counts_its_files_together(tmp_path: Path):
    """OpenSLO files of one directory share the size limit: two of 9 MiB are too much."""
    comment = ("# " + "x" * 1022 + "\n") * 9 * 1024
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("apiVersion: openslo/v1\nkind: SLO\n" + comment)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.problems == (
        f"{tmp_path / 'b.yaml'}: the config is larger than 16 MiB with the files before it",
    )


# ---- crashes on half-written configs -------------------------------------------------


def test_an_openslo_file_with_problems_but_no_slo_is_reported():
    """An SLI document alone, with problems of its own, is reported in lines naming it
    (it used to raise IndexError looking for the first SLO)."""
    path = ROOT / "tests" / "openslo" / "multi" / "b-sli.yml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    found = caught.value.problems
    assert found
    assert all(p.startswith(f"{path}:") and "\n" not in p for p in found), found


def test_an_empty_backend_next_to_another_mistake_reports_both():
    """``backend:`` left empty and an objective of 101 are two lines, not a pydantic
    traceback."""
    text = GOOD.replace("  url: http://127.0.0.1:9090\n", "").replace("99.9", "101")
    found = problems(text)
    assert any("missing required field 'backend'" in p for p in found), found
    assert any(p.startswith(f'{SOURCE}:5: slos[0] "checkout": objective: ') for p in found), found


# ---- as a user meets them: the command line, time and memory -------------------------

CHILD = """\
import json, pathlib, sys, time
from exporter.config import load_config
from exporter.errors import ConfigError
path = pathlib.Path(sys.argv[-1])
if sys.argv[1] == "--benchmark":  # write the benchmark's 10,000-SLO config first
    sys.path.insert(0, "benchmarks")
    import synth
    config = synth.exporter_config(10_000, 100, "distinct", "http://127.0.0.1:9090")
    synth.write_json(path, config)
started = time.monotonic()
try:
    answer = f"{len(load_config(path).slos)} SLOs"
except ConfigError as error:
    answer = error.problems[0][:300]
seconds = time.monotonic() - started
# VmHWM is this process's own peak; ru_maxrss would keep the parent's from before exec.
status = pathlib.Path("/proc/self/status").read_text()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"seconds": seconds, "answer": answer, "max_rss_mb": peak}))
"""
"""Loads the config named last on its command line and prints what it took, as JSON
(seconds, the answer, the peak resident memory of the whole interpreter in MB)."""


def _measure(*args: str) -> dict[str, Any]:
    """Load a config in a fresh interpreter: seconds, the answer, peak RSS in MB."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    measured: dict[str, Any] = json.loads(result.stdout)
    return measured


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize(
    "make", [case[1] for case in OVERSIZED[:6]], ids=[case[0] for case in OVERSIZED[:6]]
)
def test_oversized_configs_take_little_memory(make: Callable[[], str], tmp_path: Path):
    """Refusing the largest hostile files takes under 2 s and under 200 MB of memory
    (peak RSS of the whole interpreter, imports included)."""
    path = tmp_path / "c.yaml"
    path.write_text(make(), encoding="utf-8")
    measured = _measure(str(path))
    assert measured["answer"].startswith(str(path)), measured
    assert measured["seconds"] < 2.0, measured
    assert measured["max_rss_mb"] < 200, measured


@pytest.mark.integration  # runs a child process
def test_the_benchmark_config_of_10000_slos_loads(tmp_path: Path):
    """The limits leave room for the benchmark's 10,000-SLO config (3 MB, 190,000 values),
    which loads in seconds."""
    measured = _measure("--benchmark", str(tmp_path / "slos-10000.yaml"))
    assert measured["answer"] == "10000 SLOs", measured
    assert measured["seconds"] < 30, measured


HOSTILE_FILES = {
    "deep.yaml": GOOD + "x: " + "[" * 500 + "]" * 500 + "\n",
    "nul.yaml": GOOD + "# \x00\n",
    "digits.yaml": GOOD.replace("99.9", "9" * 5000),
    "nines.yaml": GOOD + "    windows: [" + "9" * 400 + "h]\n",
    "password.yaml": GOOD.replace("127.0.0.1", "u:pa/ss@127.0.0.1"),
    "empty-backend.yaml": GOOD.replace("  url: http://127.0.0.1:9090\n", "").replace("99.9", "101"),
}


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize("command", ["validate", "eval", "rules", "show", "run"])
def test_the_cli_answers_hostile_files_in_lines_without_traceback(command: str, tmp_path: Path):
    """`slo-exporter validate|eval|rules|show|run` exit 1 on each hostile file, with one
    line per problem naming the file, no traceback and no password."""
    for name, text in HOSTILE_FILES.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "exporter", command, "-c", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        lines = result.stderr.splitlines()
        assert result.returncode == 1, (name, result.stderr[-2000:])
        assert lines, name
        assert all(line.startswith(f"{path}:") for line in lines), (name, result.stderr)
        assert "Traceback" not in result.stderr, name
        assert "pa/ss" not in result.stderr + result.stdout, name
