"""Read OpenSLO documents from a file or from a directory's ``*.yaml``/``*.yml`` files.

Files of a directory are read in name order (not recursively, dotfiles
skipped), so the result, and every message about it, is the same on every
machine. Each document comes with the name of the file it is from.
"""

from __future__ import annotations

from pathlib import Path

from exporter.errors import ConfigError
from exporter.yaml_lines import YamlDocument, YamlSyntaxError, load_yaml_all

SUFFIXES = (".yaml", ".yml")

Sources = list[tuple[str, YamlDocument]]


def config_files(path: Path) -> list[Path]:
    """``path`` itself, or the YAML files directly in the directory ``path``, by name."""
    if not path.is_dir():
        return [path]
    return sorted(
        (
            child
            for child in path.iterdir()
            if child.suffix in SUFFIXES and not child.name.startswith(".") and child.is_file()
        ),
        key=lambda child: child.name,
    )


def read_openslo(path: Path) -> Sources:
    """Every YAML document of ``path`` (a file, or a directory of files) with its file name.

    Raises :class:`ConfigError` listing every file that cannot be read or parsed.
    """
    files = config_files(path)
    if not files:
        raise ConfigError([f"{path}: no *.yaml or *.yml files in this directory"])
    sources: Sources = []
    problems: list[str] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            problems.append(f"{file}: cannot read the config file: it is not UTF-8 text")
            continue
        except OSError as error:
            problems.append(f"{file}: cannot read the config file: {error.strerror or error}")
            continue
        try:
            documents = load_yaml_all(text)
        except YamlSyntaxError as error:
            where = file if error.line is None else f"{file}:{error.line}:{error.column}"
            problems.append(f"{where}: invalid YAML: {error.message}")
            continue
        sources.extend((str(file), document) for document in documents)
    if problems:
        raise ConfigError(problems)
    return sources
