"""A native config dict as YAML people can read and diff.

Keys keep the converter's order (name, service, objective, period, sli,
alerts, ...), list items are indented under their key, long queries are
never folded, and multi-line text is written as a literal block. The same
input always gives the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(config: dict[str, Any], sources: Sequence[str] = (), formats: str = "OpenSLO") -> str:
    """``config`` as YAML, after a comment naming the files (of ``formats``) it came from."""
    header = f"# slo-exporter native config, converted from {formats} by `slo-exporter convert`"
    names = list(dict.fromkeys(sources))
    lines = [header + (":" if names else "")] + [f"#   {name}" for name in names]
    body = yaml.dump(
        config,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    return "\n".join(lines) + "\n" + body


def dump_documents(documents: Sequence[dict[str, Any]]) -> str:
    """OpenSLO documents as one YAML stream, ``---`` between them, after a comment."""
    header = "# OpenSLO v1, written by `slo-exporter convert --to openslo`\n"
    return header + yaml.dump_all(
        documents,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        explicit_start=True,
    )
