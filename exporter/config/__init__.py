"""The config file: YAML in, validated :class:`exporter.settings.Settings` out.

``load_config(path)`` is the one entry point; every user mistake raises
:class:`exporter.errors.ConfigError` listing all problems, one line each, as
``FILE:LINE: slos[2] "name": field.path: message``.
"""

from exporter.config.loader import load_config

__all__ = ["load_config"]
