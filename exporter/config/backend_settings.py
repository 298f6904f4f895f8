"""The ``backend`` section as :class:`BackendSettings`, with its secrets read.

A bearer token or basic-auth password is read from the file or environment
variable the config names; a CA file must be readable. Relative paths are
relative to the config file's directory. A secret's value never appears in
a message, only where it was looked for.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from types import MappingProxyType

from exporter.config.problems import Problem
from exporter.config.schema_backend import BackendConfig, SecretSource
from exporter.settings import BackendSettings, is_secret_header
from exporter.yaml_lines import YamlPath, quote


def backend_settings(
    config: BackendConfig, base_dir: Path, problems: list[Problem]
) -> BackendSettings | None:
    """BackendSettings with secrets read; None (and problems added) when one cannot be read."""
    before = len(problems)
    headers = dict(config.headers)
    secret_headers = {name: headers.pop(name) for name in list(headers) if is_secret_header(name)}
    if config.bearer_token is not None:
        token = _read_secret(config.bearer_token, ("backend", "bearer_token"), base_dir, problems)
        if token is not None and re.search(r"\s", token):
            problems.append(
                Problem(
                    ("backend", "bearer_token"),
                    "the bearer token contains spaces or line breaks; it must be one word",
                )
            )
        elif token is not None:
            secret_headers["Authorization"] = f"Bearer {token}"
    if config.basic_auth is not None:
        path = ("backend", "basic_auth", "password")
        password = _read_secret(config.basic_auth.password, path, base_dir, problems)
        if password is not None:
            pair = f"{config.basic_auth.username}:{password}".encode()
            secret_headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    ca_file = None
    if config.tls is not None and config.tls.ca_file is not None:
        ca_file = _readable(config.tls.ca_file, ("backend", "tls", "ca_file"), base_dir, problems)
    if len(problems) > before:
        return None
    return BackendSettings(
        url=config.url,
        timeout=float(config.timeout),
        headers=MappingProxyType(headers),
        secret_headers=MappingProxyType(secret_headers),
        tls_verify=not (config.tls is not None and config.tls.insecure_skip_verify),
        ca_file=ca_file,
    )


def _read_secret(
    source: SecretSource, path: YamlPath, base_dir: Path, problems: list[Problem]
) -> str | None:
    """The secret's value, or None with a problem that names where it was looked for."""
    if source.env is not None:
        return _from_env(source.env, (*path, "env"), problems)
    assert source.file is not None  # the schema requires file or env
    return _from_file(_resolve(source.file, base_dir), (*path, "file"), problems)


def _from_env(name: str, path: YamlPath, problems: list[Problem]) -> str | None:
    value = os.environ.get(name)
    if value is None:
        problems.append(Problem(path, f"environment variable {name} is not set"))
        return None
    if not value.strip():
        problems.append(Problem(path, f"environment variable {name} is empty"))
        return None
    return value


def _from_file(file: Path, path: YamlPath, problems: list[Problem]) -> str | None:
    """The file's text without its final line break."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(path, f"secret file {quote(str(file))} is not UTF-8 text"))
        return None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        problems.append(Problem(path, f"cannot read {quote(str(file))}: {reason}"))
        return None
    value = text.rstrip("\r\n")
    if not value.strip():
        problems.append(Problem(path, f"secret file {quote(str(file))} is empty"))
        return None
    return value


def _readable(name: str, path: YamlPath, base_dir: Path, problems: list[Problem]) -> Path | None:
    """The resolved path of a file that can be opened; None (with a problem) otherwise."""
    file = _resolve(name, base_dir)
    try:
        file.open("rb").close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        problems.append(Problem(path, f"cannot read {quote(str(file))}: {reason}"))
        return None
    return file


def _resolve(name: str, base_dir: Path) -> Path:
    """A path from the config: ``~`` expanded, relative to the config file's directory."""
    file = Path(name).expanduser()
    return file if file.is_absolute() else base_dir / file
