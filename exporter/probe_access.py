"""How ``healthcheck`` reaches an exporter that serves under a ``--web.config.file``.

It reads the same web config as ``run``: with ``tls_server_config`` it speaks HTTPS and
trusts exactly the certificate of ``cert_file`` (the probe runs beside the exporter and
reads the same files, so it needs no CA and no host name); with ``basic_auth_users`` it
sends a user and password given by flag, environment or file (never on the command line,
where ``ps`` would show it). A web config that needs a client certificate cannot be
probed. Every problem is one line without the password.

The web config is parsed by :mod:`exporter.web_config`, imported only when one is given,
so the plain check keeps to the standard library.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

USER_ENV = "SLO_EXPORTER_HEALTHCHECK_USER"
PASSWORD_ENV = "SLO_EXPORTER_HEALTHCHECK_PASSWORD"
PASSWORD_FILE_ENV = "SLO_EXPORTER_HEALTHCHECK_PASSWORD_FILE"
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)


class AccessError(Exception):
    """The probe cannot be set up; one line for the user."""


@dataclass(frozen=True)
class Access:
    """What the probe needs: the server certificate to expect (DER; None: plain HTTP) and
    the ``Authorization`` header to send (None: no basic auth)."""

    certificate: bytes | None = None
    authorization: str | None = None

    def __repr__(self) -> str:  # the header holds the password
        return f"Access(tls={self.certificate is not None}, auth={self.authorization is not None})"


def first_certificate(pem: str) -> bytes | None:
    """The DER of the first certificate of a PEM file (the server's own, before any chain
    of intermediates), or None when there is none."""
    match = _PEM.search(pem)
    if match is None:
        return None
    try:
        return base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _password(password_file: str | None) -> str | None:
    if password_file:
        try:
            text = Path(password_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or "not UTF-8 text"
            raise AccessError(f"healthcheck: cannot read the password file {password_file}: "
                              f"{reason}") from None  # fmt: skip
        return text.rstrip("\r\n")
    return os.environ.get(PASSWORD_ENV) or None


def _authorization(
    users: Mapping[str, bytes], user: str | None, password_file: str | None
) -> str | None:
    if not users:
        return None
    password = _password(password_file)
    if not user or password is None:
        raise AccessError(
            "healthcheck: the web config asks for basic auth: give --basic-auth-user (or "
            f"${USER_ENV}) and --basic-auth-password-file (or ${PASSWORD_FILE_ENV}, or "
            f"${PASSWORD_ENV})"
        )
    if user not in users:
        raise AccessError(f"healthcheck: user {user!r} is not in the web config's basic_auth_users")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {token}"


def load_access(web_config: str | None, user: str | None, password_file: str | None) -> Access:
    """What to send to the exporter run with ``web_config`` (None: plain HTTP, no auth).

    Raises :class:`AccessError` (one line)."""
    if web_config is None:
        return Access()
    from exporter.web_config import WebConfigError, load_web_config  # noqa: PLC0415 (slow)

    try:
        config = load_web_config(Path(web_config))
    except WebConfigError as err:
        raise AccessError(f"healthcheck: {err}") from None
    certificate = None
    if config.tls is not None:
        if config.tls.verify_mode == ssl.CERT_REQUIRED:
            raise AccessError(
                f"healthcheck: {web_config}: client_auth_type RequireAndVerifyClientCert: the "
                "health check has no client certificate to present; probe the port instead"
            )
        cert_file = config.files[0]
        certificate = first_certificate(cert_file.read_text(encoding="utf-8", errors="replace"))
        if certificate is None:
            raise AccessError(f"healthcheck: {cert_file}: no PEM certificate in the file")
    return Access(certificate, _authorization(config.users, user, password_file))
