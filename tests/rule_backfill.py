"""Backfill generated recording rules into a Prometheus of their own, level by level.

``promtool tsdb create-blocks-from rules`` cannot backfill a rule that reads
another rule's output (the source Prometheus does not have it), and in
2.42 it writes one block per rule and per two hours: 1140 blocks and about
100 s for the native step records of the test config over eight days.
This does the same evaluation faster:

1. rules are sorted into levels: a record reading records of level k is at
   level k + 1 (found by walking the parsed expression);
2. level 1 (reads only raw series) is evaluated with range queries against
   the session's Prometheus, one point per rule interval; a range query
   evaluates the expression at each step exactly as a rule evaluation at
   that time would;
3. the samples are written as OpenMetrics and turned into one block by
   ``promtool tsdb create-blocks-from openmetrics``, next to hard links of
   the session's blocks, and a separate Prometheus is started on them;
4. each further level is evaluated (instant queries, only at the times the
   test looks at), imported, and Prometheus restarted to load it.

Samples keep the expression's labels with the rule's ``labels`` laid over them, as
Prometheus records them.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import promql_parser
from processes import free_port
from prometheus_server import MAX_BLOCK_DURATION, api_request, find_binary

READY_TIMEOUT = 30.0
MAX_POINTS = 10_000
"""Points per range query; Prometheus refuses more than 11,000."""


@dataclass(frozen=True)
class Record:
    """A recording rule: the name it records, its expression and its labels."""

    name: str
    expr: str
    labels: tuple[tuple[str, str], ...]

    @classmethod
    def from_rule(cls, rule: dict[str, Any]) -> Record:
        return cls(rule["record"], rule["expr"], tuple(rule.get("labels", {}).items()))


@dataclass(frozen=True)
class Sample:
    """One recorded value."""

    name: str
    labels: tuple[tuple[str, str], ...]
    timestamp: float
    value: float


def referenced_names(expr: str) -> set[str]:
    """Metric names the expression selects."""
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def record_levels(groups: Sequence[dict[str, Any]]) -> list[list[Record]]:
    """The groups' recording rules by dependency level, level 1 first."""
    records = [Record.from_rule(r) for g in groups for r in g["rules"] if "record" in r]
    reads: dict[str, set[str]] = {}
    for record in records:
        reads.setdefault(record.name, set()).update(referenced_names(record.expr))
    levels: dict[str, int] = {}

    def level(name: str, path: tuple[str, ...] = ()) -> int:
        if name in path:
            raise ValueError(f"records read each other: {' -> '.join((*path, name))}")
        if name not in levels:
            deps = reads[name] & reads.keys()
            levels[name] = 1 + max((level(d, (*path, name)) for d in deps), default=0)
        return levels[name]

    depth = max(level(r.name) for r in records)
    return [[r for r in records if levels[r.name] == n] for n in range(1, depth + 1)]


def _samples(record: Record, result: list[dict[str, Any]]) -> Iterable[Sample]:
    """The result's samples as the rule records them: the expression's labels (a grouped
    SLO's ``route``), the rule's own laid over them, the metric name the record's."""
    for series in result:
        found = {k: v for k, v in series.get("metric", {}).items() if k != "__name__"}
        labels = tuple({**found, **dict(record.labels)}.items())
        points = series.get("values") or [series["value"]]
        for timestamp, value in points:
            number = float(value)
            if not math.isnan(number):
                yield Sample(record.name, labels, float(timestamp), number)


def evaluate_range(
    url: str, records: Sequence[Record], start: int, end: int, step: int
) -> list[Sample]:
    """Every record at ``start, start + step, ... <= end``, as rule evaluations would give."""
    out: list[Sample] = []
    for record in records:
        begin = start
        while begin <= end:
            stop = min(begin + (MAX_POINTS - 1) * step, end)
            params = {
                "query": record.expr,
                "start": str(begin),
                "end": str(stop),
                "step": str(step),
            }
            data = api_request(url, "/api/v1/query_range", params, timeout=120)
            out.extend(_samples(record, data["result"]))
            begin = stop + step
    return out


def evaluate_at(url: str, records: Sequence[Record], times: Iterable[int]) -> list[Sample]:
    """Every record at each of ``times``."""
    out: list[Sample] = []
    for at in times:
        for record in records:
            data = api_request(url, "/api/v1/query", {"query": record.expr, "time": str(at)})
            out.extend(_samples(record, data["result"]))
    return out


def _openmetrics(samples: Sequence[Sample]) -> str:
    by_series: dict[tuple[str, tuple[tuple[str, str], ...]], list[Sample]] = {}
    for sample in samples:
        by_series.setdefault((sample.name, sample.labels), []).append(sample)
    lines: list[str] = []
    for name in sorted({s.name for s in samples}):
        lines.append(f"# TYPE {name} gauge")
        for (series_name, labels), points in sorted(by_series.items()):
            if series_name != name:
                continue
            rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
            head = f"{name}{{{rendered}}}" if rendered else name
            points.sort(key=lambda s: s.timestamp)
            lines.extend(f"{head} {p.value!r} {p.timestamp:.3f}" for p in points)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def import_samples(samples: Sequence[Sample], data_dir: Path, workdir: Path) -> None:
    """Write ``samples`` into new blocks in ``data_dir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / f"records-{time.monotonic_ns()}.om.txt"
    source.write_text(_openmetrics(samples), encoding="utf-8")
    promtool = find_binary("promtool", "PROMTOOL_BIN")
    command = [
        promtool,
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        f"--max-block-duration={MAX_BLOCK_DURATION}",
        str(source),
        str(data_dir),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"promtool import failed:\n{done.stdout}\n{done.stderr}")
    source.unlink()


def link_blocks(source: Path, target: Path) -> None:
    """Hard-link the finished blocks of ``source`` (a data dir) into ``target``.

    Blocks never change once written; a block that Prometheus compacts away
    while we link it makes the whole attempt start over.
    """
    for _ in range(3):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        try:
            for block in sorted(source.iterdir()):
                if (block / "meta.json").is_file():
                    shutil.copytree(block, target / block.name, copy_function=os.link)
            return
        except FileNotFoundError:
            continue
    raise AssertionError(f"the blocks in {source} kept changing while they were linked")


@dataclass
class Server:
    """A Prometheus on a data dir, for queries only (no scrapes, no rules)."""

    data_dir: Path
    workdir: Path
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)

    def start(self) -> None:
        prometheus = find_binary("prometheus", "PROMETHEUS_BIN")
        config = self.workdir / "prometheus.yml"
        config.write_text("global: {}\nscrape_configs: []\n", encoding="utf-8")
        started = time.monotonic()
        port = free_port()
        log = self.workdir / f"prometheus-{len(self.starts)}.log"
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.data_dir}",
                    "--storage.tsdb.retention.time=100y",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
                    if response.status == 200:
                        self.starts.append(time.monotonic() - started)
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"Prometheus did not start:\n{log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def values(self, query: str, at: float) -> dict[tuple[tuple[str, str], ...], float]:
        """An instant query's result: each series' labels (sorted, no name) to its value."""
        data = api_request(self.url, "/api/v1/query", {"query": query, "time": str(at)})
        return {
            tuple(sorted((k, v) for k, v in s["metric"].items() if k != "__name__")): float(
                s["value"][1]
            )
            for s in data["result"]
        }
