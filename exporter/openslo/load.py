"""Read OpenSLO documents from a file or from a directory's ``*.yaml``/``*.yml`` files.

Files of a directory are read in name order (not recursively, dotfiles
skipped), so the result, and every message about it, is the same on every
machine. Each document comes with the name of the file it is from.
"""

from __future__ import annotations

from pathlib import Path

from exporter.errors import ConfigError
from exporter.yaml_bounded import MAX_FILE_BYTES, is_directory, read_config_text
from exporter.yaml_lines import Budget, YamlDocument, YamlSyntaxError, YamlTooLarge, load_yaml_all

SUFFIXES = (".yaml", ".yml")

Sources = list[tuple[str, YamlDocument]]


def config_files(path: Path) -> list[Path]:
    """``path`` itself, or the YAML files directly in the directory ``path``, by name."""
    if not is_directory(path):
        return [path]
    try:
        children = list(path.iterdir())
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError([f"{path}: cannot read the directory: {reason}"]) from None
    return sorted(
        (
            child
            for child in children
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
    values = Budget()
    left = MAX_FILE_BYTES  # for all the files together
    for file in files:
        try:
            text = read_config_text(file, left)
            left -= len(text.encode("utf-8"))
            documents = load_yaml_all(text, values)
        except ConfigError as error:
            problems.extend(error.problems)
            continue
        except YamlSyntaxError as error:
            problems.append(error.problem(file))
            if isinstance(error, YamlTooLarge):
                break  # the limits hold for the files together: stop at the first crossed
            continue
        sources.extend((str(file), document) for document in documents)
    if problems:
        raise ConfigError(problems)
    return sources
