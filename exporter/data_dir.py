"""Where ``run`` keeps its history store when no flag says, and whether it can write there.

``run`` keeps a store by default (each cycle reads one snapshot instead of two
queries per window per SLO); ``--no-store`` is the stateless query mode. The
default directory is ``$SLO_EXPORTER_DATA_DIR`` (the container image sets it to
``/var/lib/slo-exporter``), else ``$XDG_STATE_HOME/slo-exporter``, else
``~/.local/state/slo-exporter`` (the XDG default), else, with no home directory,
``./.slo-exporter-data``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

DATA_DIR_ENV = "SLO_EXPORTER_DATA_DIR"
"""The data directory when ``--data-dir`` is not given."""


class DataDirError(Exception):
    """The data directory cannot be created or written: one line naming it."""


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The data directory when no flag gives one (see the module's text)."""
    env = os.environ if env is None else env
    explicit = env.get(DATA_DIR_ENV)
    if explicit:
        return Path(explicit)
    state = env.get("XDG_STATE_HOME")
    if state and Path(state).is_absolute():
        return Path(state) / "slo-exporter"
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no password entry (a container's bare uid)
        return Path(".slo-exporter-data")
    return home / ".local" / "state" / "slo-exporter"


def check_writable(data_dir: Path) -> None:
    """Create ``data_dir`` if needed and write a file in it; ``DataDirError`` if either
    fails (a read-only mount, another user's directory, a file in the way)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe, name = tempfile.mkstemp(prefix=".write-check-", dir=data_dir)
        os.close(probe)
        with contextlib.suppress(OSError):
            os.unlink(name)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise DataDirError(
            f"{data_dir}: cannot write the data directory ({reason}): give a writable "
            "--data-dir DIR, or --no-store to keep no history"
        ) from None
