"""Property: whatever the file holds, ``load_config`` answers with Settings or short lines.

Hypothesis writes hostile texts (random bytes and characters, deep nesting, huge
numbers, control characters) and mutations of the shipped configs (lines deleted,
repeated, swapped or cut short, values exchanged, random scalars put into random
fields). For every one, ``load_config`` either returns Settings or raises a
ConfigError whose every problem is one line of bounded length naming the file; any
other exception, or an answer slower than 2 s, fails the test.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.config import load_config
from exporter.errors import ConfigError
from exporter.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {
    **{path.name: path.read_text() for path in sorted((ROOT / "config").glob("*.yaml"))},
    # The OpenSLO example directory as one file of several documents.
    "openslo": "---\n".join(p.read_text() for p in sorted((ROOT / "config/openslo").glob("*"))),
}
HOSTILE_SCALARS = [
    "9" * 5000,
    "9" * 400 + "h",
    "1000000w",
    "99999999999d",
    "0s",
    "-1",
    ".inf",
    "-.inf",
    ".nan",
    "1e400",
    "100",
    "0",
    "null",
    "~",
    "''",
    "[]",
    "{}",
    "[[[[",
    "}",
    "&a x",
    "*a",
    "*undefined",
    "!!python/object:os.system x",
    "!!int x",
    "!!bool maybe",
    "!!timestamp x",
    "!!binary ===",
    "!!set {a, b}",
    "2024-13-45",
    "'\x00'",
    '"\\x00\\u0007"',
    "http://u:pa/ss@h",
    "x" * 70_000,
    "é" * 100,
    "'{{window}}'",
    "rate(x[5m]",
    "? [a, b]\n  : c",
    "<<: *a",
]
MAX_PROBLEM = 600
"""Characters a problem may take after the file's name."""


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the module; each example overwrites ``c.yaml`` in it."""
    return tmp_path_factory.mktemp("fuzz")


def _check(directory: Path, data: bytes) -> None:
    """``data`` as a config file loads, or is refused in short lines naming the file."""
    path = directory / "c.yaml"
    path.write_bytes(data)
    started = time.monotonic()
    try:
        loaded = load_config(path)
    except ConfigError as error:
        problems = error.problems
        assert problems, "a ConfigError without problems"
        for problem in problems:
            assert "\n" not in problem, problem
            assert "\r" not in problem, problem
            assert problem.startswith(str(path)), problem
            assert len(problem) - len(str(path)) <= MAX_PROBLEM, problem[:1000]
    else:
        assert isinstance(loaded, Settings)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"{elapsed:.1f}s for {data[:200]!r}"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A shipped config with a few random edits."""
    lines = draw(st.sampled_from(sorted(SHIPPED.items())))[1].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        other = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "repeat", "swap", "value", "swap-values", "cut"]))
        if edit == "delete":
            del lines[at]
        elif edit == "repeat":
            lines.insert(at, lines[at])
        elif edit == "swap":
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "value":
            key = lines[at].partition(":")[0] if ":" in lines[at] else lines[at]
            value = draw(st.one_of(st.sampled_from(HOSTILE_SCALARS), st.text(max_size=20)))
            lines[at] = f"{key}: {value}"
        elif edit == "swap-values":
            key_a, _, value_a = lines[at].partition(":")
            key_b, _, value_b = lines[other].partition(":")
            lines[at], lines[other] = f"{key_a}:{value_b}", f"{key_b}:{value_a}"
        else:
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
    return "\n".join(lines) + "\n"


@st.composite
def hostile(draw: st.DrawFn) -> str:
    """Text built to break parsers: deep nesting, huge numbers, control characters."""
    depth = draw(st.integers(10, 3000))
    kind = draw(st.sampled_from(["flow-list", "flow-map", "block", "number", "control"]))
    head = draw(st.sampled_from(sorted(SHIPPED.values())))
    if kind == "flow-list":
        return head + "x: " + "[" * depth + "]" * depth + "\n"
    if kind == "flow-map":
        return head + "x: " + "{a: " * depth + "1" + "}" * depth + "\n"
    if kind == "block":
        return head + "".join(f"{' ' * i}k:\n" for i in range(depth)) + " " * depth + "v\n"
    if kind == "number":
        return head.replace(": 99.9", ": " + "9" * depth, 1)
    character = chr(draw(st.sampled_from([*range(32), 127, 0x85, 0xFFFE, 0xFFFF, 0x2028])))
    at = draw(st.integers(0, len(head)))
    return head[:at] + character + head[at:]


FUZZ = settings(
    max_examples=120,
    deadline=None,  # timed in _check, which allows 2 s each
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)


@FUZZ
@given(text=mutated())
def test_mutated_shipped_configs(config_dir: Path, text: str):
    """Shipped configs with lines deleted, repeated, swapped or cut and random values in
    random fields load or are refused in short lines."""
    _check(config_dir, text.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(text=hostile())
def test_hostile_texts(config_dir: Path, text: str):
    """Deep nesting, 3,000-digit numbers and control characters are refused in short lines."""
    _check(config_dir, text.encode("utf-8", errors="surrogatepass"))


@settings(max_examples=60, deadline=None)
@given(data=st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(str.encode)))
def test_random_bytes_and_text(config_dir: Path, data: bytes):
    """Random bytes and random Unicode text are refused in short lines."""
    _check(config_dir, data)
