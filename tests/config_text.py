"""Load a config written inline in a test the way the exporter loads one: from a file."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from exporter.config.loader import load_config
from exporter.settings import Settings


def load_text(text: str, name: str = "config.yaml") -> Settings:
    """``text`` saved as ``name`` in a fresh directory and read with ``load_config(name)``.

    The directory is the working directory while the file loads, so messages
    begin with ``name`` (``c.yaml:4: ...``) and relative paths in the config
    are relative to it; the directory is removed afterwards.
    """
    with tempfile.TemporaryDirectory() as directory, contextlib.chdir(directory):
        Path(name).write_text(text, encoding="utf-8")
        return load_config(name)
