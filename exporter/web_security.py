"""Serving under a ``--web.config.file``: basic auth on every route, extra response
headers, and TLS whose certificates and client-certificate policy follow the file.

As in exporter-toolkit, everything is protected: /metrics, the probes, the API and the
landing page. The file is re-read when it or a certificate file it names changes, and on
SIGHUP; a file that no longer loads keeps the one in force (one logged line). Each new
TLS connection takes the context of the file in force, so a rotated certificate needs
no restart.

bcrypt is slow on purpose (tens of milliseconds), so a check runs in a worker thread
and a pair once verified is remembered (by a digest, never the password) until the
file changes: a scrape every few seconds costs a dictionary look-up.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import bcrypt
import structlog
from aiohttp import web

from exporter.watch import fingerprint, in_daemon_thread
from exporter.web_config import WebConfig, WebConfigError, load_web_config

log = structlog.get_logger("slo_exporter")

REALM = 'Basic realm="slo-exporter", charset="UTF-8"'
MAX_REMEMBERED = 1024
_DUMMY_HASH = b"$2b$10$GXc2SHFNDyshhKr4gWPZYOqQCKvlZ/gNY7BRGs6wwv26LC8qNmcXC"
"""Checked for an unknown user, so that costs as long as a wrong password (a constant: a
hash made at import would slow every command's start by a bcrypt run)."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SwitchingContext(ssl.SSLContext):
    """The context the server is started with; each new connection is wrapped by the
    context currently in force (asyncio wraps every connection with ``wrap_bio``)."""

    current: ssl.SSLContext

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        return self.current.wrap_bio(*args, **kwargs)


def _check(password: bytes, hashed: bytes) -> bool:
    """bcrypt's comparison; blocking for tens of milliseconds."""
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        return False


class WebSecurity:
    """The web config in force, its middleware and its reloads."""

    def __init__(self, path: Path, config: WebConfig) -> None:
        self.path = path
        self.config = config
        self._verified: set[bytes] = set()
        self._reload: Callable[[], None] | None = None
        self.tls: SwitchingContext | None = None
        if config.tls is not None:
            self.tls = SwitchingContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.current = config.tls

    def _apply(self, config: WebConfig) -> None:
        if (config.tls is None) != (self.tls is None):
            raise WebConfigError(
                f"{self.path}: tls_server_config: TLS cannot be turned on or off without a restart"
            )
        if self.tls is not None and config.tls is not None:
            self.tls.current = config.tls
        self.config = config
        self._verified.clear()

    async def reload(self) -> bool:
        """Re-read the file; on a problem log one line and keep the config in force."""
        try:
            config = await in_daemon_thread(lambda: load_web_config(self.path))
            self._apply(config)
        except WebConfigError as err:
            log.error("web_config_reload_failed", error=str(err))
            return False
        log.info("web_config_reloaded", path=str(self.path))
        return True

    async def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        if not sep:
            return False
        name = user.decode("utf-8", "replace")
        hashed = self.config.users.get(name)
        key = hashlib.sha256(user + b"\0" + password + b"\0" + (hashed or b"")).digest()
        if hashed is not None and key in self._verified:
            return True
        users = self.config.users
        ok = await asyncio.to_thread(_check, password, hashed or _DUMMY_HASH)
        if ok and hashed is not None and users is self.config.users:
            if len(self._verified) >= MAX_REMEMBERED:
                self._verified.clear()
            self._verified.add(key)
        return ok and hashed is not None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every route needs the credentials when the file names users."""
        if self.config.users and not await self._authorized(
            request.headers.get("Authorization", "")
        ):
            return web.Response(
                status=401, text="Unauthorized\n", headers={"WWW-Authenticate": REALM}
            )
        return await handler(request)

    async def add_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """The file's extra headers on every response, 401s included."""
        for name, value in self.config.headers.items():
            response.headers[name] = value

    def install(self, app: web.Application, watch_interval: float) -> None:
        """Protect ``app`` and watch the file while it runs."""
        app.middlewares.insert(0, self.middleware)
        app.on_response_prepare.append(self.add_headers)
        reloads: set[asyncio.Task[bool]] = set()

        def reload() -> None:
            task = asyncio.create_task(self.reload())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        self._reload = reload

        async def watching(app: web.Application) -> AsyncIterator[None]:
            task = asyncio.create_task(self._watch(reload, watch_interval))
            yield
            for running in [task, *reloads]:
                running.cancel()

        app.cleanup_ctx.append(watching)

    def _look(self) -> tuple[str | None, ...]:
        """Digests of the web file and the certificate files in force. Blocking."""
        return tuple(fingerprint(path) for path in (self.path, *self.config.files))

    async def _watch(self, reload: Callable[[], None], every: float) -> None:
        """Reload when the web file or a certificate, key or CA file it names changes
        (certificates are rotated in place); a file that cannot be read is waited for."""
        last = await in_daemon_thread(self._look)
        while True:
            await asyncio.sleep(every)
            current = await in_daemon_thread(self._look)
            if None not in current and current != last:
                last = current
                reload()

    def schedule_reload(self) -> None:
        """Start a reload (on SIGHUP), once ``install`` has run."""
        if self._reload is not None:
            self._reload()
