"""``--web.config.file``: TLS, basic auth and response headers, in the file format of
Prometheus' exporter-toolkit, so a file written for node_exporter works here.

Loading is blocking (files are read, certificates parsed): call it off the event loop.
Every problem is one ``WebConfigError`` line naming the file, the line and the field;
no password hash is ever shown.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporter.yaml_lines import YamlDocument, YamlSyntaxError, load_yaml

WEB_CONFIG_FLAG = "--web.config.file"
MAX_BYTES = 1 << 20

CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
"""Client-certificate policies; Python's ssl always verifies a certificate it asks for,
so exporter-toolkit's RequestClientCert and RequireAnyClientCert (accept unverified
certificates) are refused by name."""
UNVERIFIED_CLIENT_AUTH = ("RequestClientCert", "RequireAnyClientCert")

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}

HEADERS: dict[str, tuple[str, ...]] = {
    "Strict-Transport-Security": (),
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": (),
    "Content-Security-Policy": (),
}
"""The response headers exporter-toolkit lets a web config set, with the values it
allows (empty: any); every other header is refused, as there."""

_TLS_FIELDS = {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
               "max_version"}  # fmt: skip
_TLS_UNSUPPORTED = {"cert", "key", "client_ca", "cipher_suites", "curve_preferences",
                    "prefer_server_cipher_suites", "client_allowed_sans"}  # fmt: skip
_BCRYPT = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")


class WebConfigError(Exception):
    """The web config cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class WebConfig:
    """What a web config file asks for: a TLS context (None: plain HTTP), the basic-auth
    users with their bcrypt hashes (empty: no auth), extra response headers, and the
    certificate files the TLS context was read from (watched for rotation)."""

    tls: ssl.SSLContext | None = None
    users: Mapping[str, bytes] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class _Reader:
    """Where the file is, for error lines."""

    path: Path
    doc: YamlDocument

    def fail(self, where: tuple[str, ...], message: str) -> WebConfigError:
        line = self.doc.line_of(where)
        at = f"{self.path}:{line}" if line is not None else f"{self.path}"
        return WebConfigError(f"{at}: {'.'.join(where)}: {message}")

    def mapping(self, where: tuple[str, ...], value: Any, known: set[str] | None) -> dict[str, Any]:
        """``value`` as a mapping whose keys are all in ``known`` (None: any text)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping")
        for key in value:
            if not isinstance(key, str) or (known is not None and key not in known):
                raise self.fail((*where, str(key)), "unknown field")
        return value

    def text(self, where: tuple[str, ...], value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, "must be non-empty text")
        return value

    def choice(self, where: tuple[str, ...], value: Any, choices: Mapping[str, Any]) -> str:
        if value not in choices:
            raise self.fail(where, f"must be one of {', '.join(choices)}")
        return str(value)


def _read(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as err:
        raise WebConfigError(f"{path}: cannot read the web config: {err.strerror}") from None
    if len(data) > MAX_BYTES:
        raise WebConfigError(f"{path}: the web config is larger than 1 MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WebConfigError(f"{path}: the web config is not UTF-8 text") from None


def load_web_config(path: Path) -> WebConfig:
    """Read and check ``path``; ``WebConfigError`` (one line) on any problem. Blocking."""
    try:
        doc = load_yaml(_read(path))
    except YamlSyntaxError as err:
        raise WebConfigError(err.problem(path)) from None
    reader = _Reader(path, doc)
    if doc.duplicates:
        dup = doc.duplicates[0]
        raise reader.fail(tuple(map(str, (*dup.path, dup.key))), "given twice")
    top = reader.mapping((), doc.data, {"tls_server_config", "basic_auth_users",
                                        "http_server_config"})  # fmt: skip
    tls_data = top.get("tls_server_config")
    files: list[Path] = []
    return WebConfig(
        tls=None if tls_data is None else _tls(reader, tls_data, path.parent, files),
        users=_users(reader, top.get("basic_auth_users")),
        headers=_headers(reader, top.get("http_server_config")),
        files=tuple(files),
    )


def _users(reader: _Reader, value: Any) -> dict[str, bytes]:
    users = reader.mapping(("basic_auth_users",), value, None)
    checked: dict[str, bytes] = {}
    for name, hashed in users.items():
        where = ("basic_auth_users", name)
        if not isinstance(hashed, str) or not _BCRYPT.fullmatch(hashed):
            raise reader.fail(where, "must be a bcrypt hash ($2y$..., 60 characters)")
        checked[name] = hashed.encode()
    return checked


def _headers(reader: _Reader, value: Any) -> dict[str, str]:
    server = reader.mapping(("http_server_config",), value, {"headers", "http2"})
    http2 = server.get("http2")
    if http2 is not None and not isinstance(http2, bool):
        raise reader.fail(("http_server_config", "http2"), "must be true or false")
    headers = reader.mapping(("http_server_config", "headers"), server.get("headers"), None)
    checked: dict[str, str] = {}
    canonical = {name.lower(): name for name in HEADERS}
    for name, text in headers.items():
        where = ("http_server_config", "headers", name)
        known = canonical.get(name.lower())
        if known is None:
            raise reader.fail(where, f"this header cannot be set (allowed: {', '.join(HEADERS)})")
        value_text = reader.text(where, text)
        allowed = HEADERS[known]
        if allowed and value_text.lower() not in allowed:
            raise reader.fail(where, f"must be one of {', '.join(allowed)}")
        checked[known] = value_text
    return checked


def _tls(reader: _Reader, value: Any, base: Path, files: list[Path]) -> ssl.SSLContext:
    """The server's TLS context, files resolved relative to the web config's folder (and
    added to ``files``)."""
    top = ("tls_server_config",)
    tls = reader.mapping(top, value, _TLS_FIELDS | _TLS_UNSUPPORTED)
    for name in tls:
        if name in _TLS_UNSUPPORTED:
            raise reader.fail((*top, name), "not supported by slo-exporter (see the README)")

    def file(name: str) -> Path:
        if name not in tls:
            raise reader.fail((*top, name), "missing: TLS needs cert_file and key_file")
        files.append(base / reader.text((*top, name), tls[name]))
        return files[-1]

    auth = tls.get("client_auth_type", "NoClientCert")
    if auth in UNVERIFIED_CLIENT_AUTH:
        raise reader.fail((*top, "client_auth_type"), f"{auth} (accepting unverified client "
                          "certificates) is not supported; use VerifyClientCertIfGiven or "
                          "RequireAndVerifyClientCert")  # fmt: skip
    auth = reader.choice((*top, "client_auth_type"), auth, CLIENT_AUTH)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = TLS_VERSIONS[
        reader.choice((*top, "min_version"), tls.get("min_version", "TLS12"), TLS_VERSIONS)
    ]
    if "max_version" in tls:
        maximum = reader.choice((*top, "max_version"), tls["max_version"], TLS_VERSIONS)
        context.maximum_version = TLS_VERSIONS[maximum]
    cert, key = file("cert_file"), file("key_file")
    _load(reader, (*top, "cert_file"), lambda: context.load_cert_chain(cert, key, _no_password))
    if auth != "NoClientCert":
        ca = file("client_ca_file")
        _load(reader, (*top, "client_ca_file"), lambda: context.load_verify_locations(ca))
    elif "client_ca_file" in tls:
        raise reader.fail((*top, "client_ca_file"), "set, but client_auth_type is NoClientCert")
    context.verify_mode = CLIENT_AUTH[auth]
    return context


def _no_password() -> bytes:
    """An encrypted key fails to load instead of asking on the terminal."""
    return b""


def _load(reader: _Reader, where: tuple[str, ...], load: Callable[[], object]) -> None:
    try:
        load()
    except (OSError, ssl.SSLError, ValueError) as err:
        reason = getattr(err, "strerror", None) or getattr(err, "reason", None) or str(err)
        raise reader.fail(where, f"cannot load: {reason}") from None
