"""Run ``slo-exporter rules`` in-process, through the argparse wiring ``register`` provides."""

from __future__ import annotations

import argparse
import contextlib
import io
from dataclasses import dataclass
from typing import Any

import yaml

from exporter.config import load_config
from exporter.errors import ConfigError
from exporter.rules.command import cmd_rules, register


@dataclass(frozen=True)
class Outcome:
    """Exit code and what was printed."""

    code: int
    stdout: str
    stderr: str


def parser() -> argparse.ArgumentParser:
    """A parser with just the ``rules`` subcommand, as the CLI registers it."""
    root = argparse.ArgumentParser(prog="slo-exporter")
    register(root.add_subparsers(dest="command", required=True))
    return root


def run_rules(*argv: str) -> Outcome:
    """``slo-exporter rules ARGV...``: load the config as the CLI does, then the handler."""
    args = parser().parse_args(["rules", *argv])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            settings = load_config(args.config)
        except ConfigError as error:
            print("\n".join(error.problems), file=err)
            return Outcome(1, out.getvalue(), err.getvalue())
        code = cmd_rules(settings, args)
    return Outcome(code, out.getvalue(), err.getvalue())


def parse_yaml(text: str) -> Any:
    """YAML text as data (libyaml's loader when there is one: generated files are long)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
