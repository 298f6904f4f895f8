"""Load a config written inline in a test the way the exporter loads one: from a file."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest

from exporter.config.loader import load_config
from exporter.errors import ConfigError
from exporter.settings import Settings

GOOD_SLOS = """\
slos:
  - name: checkout
    service: checkout
    objective: 99.9
    sli:
      ratio:
        good: http_requests_total{code!~"5.."}
        total: http_requests_total
"""
"""The ``slos:`` section of GOOD: one valid ratio SLO, its objective on the section's
fourth line."""
GOOD = "backend:\n  url: http://127.0.0.1:9090\n" + GOOD_SLOS
"""A valid config; line 6 is the objective, line 7 the sli."""


def load_text(text: str, name: str = "config.yaml") -> Settings:
    """``text`` saved as ``name`` in a fresh directory and read with ``load_config(name)``.

    The directory is the working directory while the file loads, so messages
    begin with ``name`` (``c.yaml:4: ...``) and relative paths in the config
    are relative to it; the directory is removed afterwards.
    """
    with tempfile.TemporaryDirectory() as directory, contextlib.chdir(directory):
        Path(name).write_text(text, encoding="utf-8")
        return load_config(name)


def problems(text: str, name: str = "c.yaml") -> tuple[str, ...]:
    """The problems ConfigError lists for ``text`` saved as ``name``; fails if it loads,
    and unless every problem is one line naming the file."""
    with pytest.raises(ConfigError) as caught:
        load_text(text, name)
    found = caught.value.problems
    assert found, "a ConfigError with no problem"
    assert all("\n" not in p and p.startswith(name) for p in found), found
    return found
