"""``slo-exporter rules``: write the rule groups of a config as YAML.

    slo-exporter rules -c FILE [--mode exporter|native] [--format rules|prometheusrule]
                       [-o FILE] [--name NAME] [--namespace NS] [--label KEY=VALUE]...
                       [--skip-unsupported] [--inhibit-rules FILE]

Wiring into the CLI: :func:`register` adds the subcommand to an argparse
subparsers object; once the config is loaded, :func:`cmd_rules` does the
rest and returns the exit code (0, or 1 when native mode cannot evaluate an
SLO or the output cannot be written). ``--inhibit-rules`` also writes the
Alertmanager ``inhibit_rules`` of :mod:`exporter.rules.inhibit`. This is the only place where rule
data becomes YAML; the output depends on nothing but the config and the
flags, so running it twice gives the same bytes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from exporter.domain.model import SLO
from exporter.rules.exporter_mode import exporter_groups
from exporter.rules.grouped_tiles import grouped_refusal
from exporter.rules.inhibit import alertmanager_fragment
from exporter.rules.manifest import default_labels, prometheus_rule, rule_file
from exporter.rules.native import native_groups
from exporter.rules.rule import Group
from exporter.rules.tiles import unsupported
from exporter.settings import Settings

EXIT_FAILED = 1
MODES = ("exporter", "native")
FORMATS = ("rules", "prometheusrule")
_K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


def _k8s_name(text: str) -> str:
    if not _K8S_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Kubernetes object name (lowercase letters, digits, '-' and '.')"
        )
    return text


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def register(subparsers: Any) -> None:
    """Add the ``rules`` subcommand to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "rules",
        help="write Prometheus alerting (and recording) rules for the SLOs",
        description="Write Prometheus rules that alert on the config's SLOs.",
    )
    parser.add_argument("-c", "--config", type=Path, required=True, help="SLO config file")
    parser.add_argument(
        "--mode", choices=MODES, default="exporter",
        help="exporter: alert on slo-exporter's gauges (default); "
        "native: recording rules over the raw counters, evaluated by Prometheus alone",
    )  # fmt: skip
    parser.add_argument(
        "--format", choices=FORMATS, default="rules",
        help="rules: a Prometheus rule file (default); "
        "prometheusrule: a prometheus-operator PrometheusRule object",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--output", type=Path, default=None, help="file to write (default: stdout)"
    )
    parser.add_argument(
        "--name", type=_k8s_name, default=None,
        help="PrometheusRule metadata.name (default: slo-exporter-<mode>)",
    )  # fmt: skip
    parser.add_argument(
        "--namespace", type=_k8s_name, default=None, help="PrometheusRule metadata.namespace"
    )
    parser.add_argument(
        "--label", type=_label, action="append", default=[], metavar="KEY=VALUE",
        help="PrometheusRule metadata label, e.g. release=prometheus (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--skip-unsupported", action="store_true",
        help="native mode: leave out SLOs it cannot evaluate instead of failing",
    )  # fmt: skip
    parser.add_argument(
        "--inhibit-rules", type=Path, default=None, metavar="FILE",
        help="also write Alertmanager inhibit_rules (an SLO's page mutes its tickets) to FILE",
    )  # fmt: skip


def _unsupported(slo: SLO, step: int) -> str | None:
    """Why native mode cannot evaluate ``slo`` (a grouped one: its groups too)."""
    why = unsupported(slo, step)
    if why is None and slo.grouping is not None:
        return grouped_refusal(slo)
    return why


def rule_groups(settings: Settings, mode: str) -> tuple[list[Group], list[tuple[str, str]]]:
    """The groups of ``mode``, and the SLOs native mode had to leave out with the reason."""
    if mode == "exporter":
        return exporter_groups(settings), []
    step = settings.alerting.native_interval
    reasons = [(slo, _unsupported(slo, step)) for slo in settings.slos]
    kept = [slo for slo, why in reasons if why is None]
    left_out = [(slo.name, why) for slo, why in reasons if why is not None]
    return native_groups(kept, settings.alerting), left_out


def document(groups: list[Group], args: argparse.Namespace) -> dict[str, Any]:
    """The rule file or PrometheusRule object the flags ask for."""
    if args.format == "rules":
        return rule_file(groups)
    labels = {**default_labels(args.mode), **dict(args.label)}
    name = args.name or f"slo-exporter-{args.mode}"
    return prometheus_rule(groups, name, labels, args.namespace)


class _Dumper(yaml.SafeDumper):
    """Block style throughout; multi-line expressions as ``|`` literals."""


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(data: dict[str, Any], header: list[str]) -> str:
    """``data`` as YAML after ``#`` comment lines; key order kept, lines never folded."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=float("inf"))
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + body


def _header(
    settings: Settings, args: argparse.Namespace, left_out: list[tuple[str, str]]
) -> list[str]:
    source = settings.source.name if settings.source is not None else "the config"
    lines = [f"Generated by `slo-exporter rules --mode {args.mode}` from {source}; do not edit."]
    if left_out:
        lines.append("Left out (native mode cannot evaluate them):")
        lines.extend(f"  {name}: {why}" for name, why in left_out)
    return lines


def _phase_lines(phased: list[SLO]) -> list[str]:
    """For SLOs with progressive objectives: the phase these rules use, and when it ends."""
    lines = []
    for slo in phased:
        phase = slo.phase
        if phase is None:
            continue
        end = datetime.fromtimestamp(phase.until, tz=UTC).isoformat().replace("+00:00", "Z")
        lines.append(
            f"SLO {slo.name}: objective {slo.objective:g} % until {end}; "
            "regenerate these rules then"
        )
    return lines


def _mode_for(path: Path) -> int:
    """The file mode to give ``path``: the one it has, else what the umask allows."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so Prometheus never reads half a file."""
    mode = _mode_for(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)  # mkstemp makes it private; Prometheus may run as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cmd_rules(settings: Settings, args: argparse.Namespace) -> int:
    """Write the rules for ``settings`` as ``args`` ask; return the exit code.

    A phased SLO's rules use the objective in force now; the header says until when.
    """
    now = time.time()
    phased = [slo.in_force(now) for slo in settings.slos if slo.phases]
    settings = replace(settings, slos=tuple(slo.in_force(now) for slo in settings.slos))
    groups, left_out = rule_groups(settings, args.mode)
    if left_out and not args.skip_unsupported:
        for name, why in left_out:
            print(
                f"{args.config}: SLO {name!r}: native mode cannot evaluate it: {why}; "
                "use --mode exporter, or --skip-unsupported to leave it out",
                file=sys.stderr,
            )
        return EXIT_FAILED
    for name, why in left_out:
        print(f"{args.config}: SLO {name!r} left out: {why}", file=sys.stderr)
    header = _header(settings, args, left_out) + _phase_lines(phased)
    text = to_yaml(document(groups, args), header)
    outputs = [(args.output, text)] if args.output is not None else []
    if args.inhibit_rules is not None:
        source = settings.source.name if settings.source is not None else "the config"
        header = [
            f"Generated by `slo-exporter rules --inhibit-rules` from {source}; do not edit.",
            "Merge inhibit_rules into the top level of alertmanager.yml.",
        ]
        fragment = alertmanager_fragment(settings.slos, settings.alerting)
        outputs.append((args.inhibit_rules, to_yaml(fragment, header)))
    if args.output is None:
        sys.stdout.write(text)
    for path, content in outputs:
        try:
            _write(path, content)
        except OSError as error:
            print(f"cannot write {path}: {error.strerror or error}", file=sys.stderr)
            return EXIT_FAILED
    return 0
