"""``slo-exporter healthcheck``: exit 0 if the exporter at the listen address answers
/healthz, else 1 with one line saying why. For container health checks: it reads the
same ``SLO_EXPORTER_LISTEN_ADDRESS`` and ``SLO_EXPORTER_WEB_CONFIG_FILE`` as ``run``, so
the check follows the address, and speaks HTTPS and basic auth when the web config asks
for them (:mod:`exporter.probe_access`).

``python -m exporter.healthcheck`` is the same check importing the standard library
only (a tenth of the start-up time) when there is no web config, for a check that runs
every 30 s."""

from __future__ import annotations

import argparse
import http.client
import os
import ssl
import sys
from typing import Any

from exporter.listen_address import (
    LISTEN_FLAG,
    default_listen,
    default_web_config,
    display,
    parse_listen,
)
from exporter.probe_access import PASSWORD_FILE_ENV, USER_ENV, Access, AccessError, load_access

TIMEOUT = 3.0
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
"""A wildcard listen address is probed on the loopback interface of its family."""


def register(subparsers: Any) -> None:
    """Add the ``healthcheck`` subcommand to an argparse subparsers object."""
    add_arguments(
        subparsers.add_parser(
            "healthcheck",
            help="exit 0 if the exporter at the listen address answers /healthz (containers)",
        )
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The check's arguments: the address and web config (as ``run`` takes them), the
    basic-auth user and password file, and a timeout."""
    parser.add_argument(
        LISTEN_FLAG, "--listen", dest="listen", type=parse_listen, default=default_listen(),
        metavar="HOST:PORT",
        help="the address run listens on (default: $SLO_EXPORTER_LISTEN_ADDRESS, else :9099)",
    )  # fmt: skip
    parser.add_argument(
        "--web.config.file", dest="web_config", default=default_web_config(), metavar="FILE",
        help="run's web config: HTTPS and basic auth as it asks "
        "(default: $SLO_EXPORTER_WEB_CONFIG_FILE, else none)",
    )  # fmt: skip
    parser.add_argument(
        "--basic-auth-user", dest="user", default=os.environ.get(USER_ENV), metavar="NAME",
        help=f"a user of the web config's basic_auth_users (default: ${USER_ENV})",
    )  # fmt: skip
    parser.add_argument(
        "--basic-auth-password-file", dest="password_file", metavar="FILE",
        default=os.environ.get(PASSWORD_FILE_ENV),
        help=f"the file holding that user's password (default: ${PASSWORD_FILE_ENV}, "
        "else the password in $SLO_EXPORTER_HEALTHCHECK_PASSWORD)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds (default 3)")


def _connection(host: str, port: int, timeout: float, access: Access) -> http.client.HTTPConnection:
    if access.certificate is None:
        return http.client.HTTPConnection(host, port, timeout=timeout)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # the certificate itself is checked, not a CA's word
    context.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)


def probe(
    host: str, port: int, timeout: float = TIMEOUT, access: Access | None = None
) -> str | None:
    """None if ``/healthz`` at ``host:port`` answers 200, else why not (one line).

    With a certificate in ``access`` it speaks HTTPS and sends nothing (no password)
    before the server has shown exactly that certificate."""
    access = access or Access()
    target = _ANY_ADDRESS.get(host, host)
    scheme = "http" if access.certificate is None else "https"
    url = f"{scheme}://{display(target, port)}/healthz"
    connection = _connection(target, port, timeout, access)  # no proxy: straight there
    try:
        connection.connect()
        if access.certificate is not None:
            shown = connection.sock.getpeercert(binary_form=True)  # type: ignore[union-attr]
            if shown != access.certificate:
                return (
                    f"healthcheck: {url} showed a certificate other than the web config's "
                    "cert_file (not this exporter, or a rotation not yet loaded)"
                )
        headers = {} if access.authorization is None else {"Authorization": access.authorization}
        connection.request("GET", "/healthz", headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as err:
        return f"healthcheck: no answer from {url}: {err or type(err).__name__}"
    finally:
        connection.close()
    if status == 401:
        why = "the basic-auth user or password is wrong" if access.authorization else "no login"
        return f"healthcheck: {url} answered HTTP 401 ({why})"
    return None if status == 200 else f"healthcheck: {url} answered HTTP {status}"


def run(args: argparse.Namespace) -> int:
    """The ``healthcheck`` command."""
    host, port = args.listen
    try:
        access = load_access(args.web_config, args.user, args.password_file)
    except AccessError as err:
        print(" ".join(str(err).split()), file=sys.stderr)
        return 1
    problem = probe(host, port, timeout=args.timeout, access=access)
    if problem is None:
        return 0
    print(" ".join(problem.split()), file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """``python -m exporter.healthcheck [--web.listen-address HOST:PORT] ...``."""
    parser = argparse.ArgumentParser(prog="python -m exporter.healthcheck")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
