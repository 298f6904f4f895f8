"""Multi-document YAML (``---``) with the line of every key, as OpenSLO files use it.

The loader lives with the single-document one in :mod:`exporter.config.yaml_lines`
(same safe loader, line records and one-line syntax errors); it is
re-exported here, where the OpenSLO reader looks for it.
"""

from __future__ import annotations

from exporter.config.yaml_lines import load_yaml_all

__all__ = ["load_yaml_all"]
